// What every channel says about an alert: one document, built once from the recorded alert, so the
// webhook, the chat messages and the mail carry the same fields and links (R-ALERT).
import type { RunwayConfig } from '../config/config-schema.js';
import { ALERT_LEVEL_INFO, type AlertsConfig } from './alert-routing.js';
import type { AlertKind, AlertLevel } from './notifier.js';

/** How alerts reach people and where their links point: taken from runway.yml at worker start. */
export interface AlertingSettings {
  alerts: AlertsConfig;
  /** Identity → how to reach that person (R-ESCALATE). */
  contacts: Record<string, { email?: string; wecomUserId?: string }>;
  /** The API as people reach it: api.publicUrl, else localhost on api.port (https with api.tls). */
  apiBaseUrl: string;
  temporalWebUrl: string;
  namespace: string;
  /** Where channels' URLs and SMTP credentials are read (R-SECRETS); the worker's environment. */
  env: NodeJS.ProcessEnv;
  /** How long one send may take (default SEND_TIMEOUT_MS, 10 s). */
  sendTimeoutMs?: number;
}

export function alertingSettingsFrom(
  config: RunwayConfig,
  env: NodeJS.ProcessEnv = process.env,
): AlertingSettings {
  const { settings } = config;
  return {
    alerts: settings.alerts,
    contacts: Object.fromEntries(
      settings.identities.flatMap((identity) =>
        identity.contact ? [[identity.name, identity.contact]] : [],
      ),
    ),
    apiBaseUrl: (
      settings.api.publicUrl ?? `${settings.api.tls ? 'https' : 'http'}://localhost:${settings.api.port}`
    ).replace(/\/+$/, ''),
    temporalWebUrl: settings.temporal.webUrl.replace(/\/+$/, ''),
    namespace: settings.temporal.namespace,
    env,
  };
}

export interface AudienceMember {
  identity: string;
  email: string | null;
  wecomUserId: string | null;
}

/** Runway's own JSON document of an alert: the generic webhook's body, and what the others render. */
export interface AlertMessage {
  level: AlertLevel;
  levelName: string;
  responseMinutes: number;
  kind: AlertKind;
  releaseId: string;
  service: string;
  version: string | null;
  step: string | null;
  environment: string | null;
  message: string;
  reason: string;
  links: { release: string; temporal: string };
  audience: AudienceMember[];
  at: string;
}

/** An alert as release_alerts keeps it, with the release's version. */
export interface StoredAlert {
  key: string;
  level: AlertLevel;
  kind: AlertKind;
  releaseId: string;
  service: string;
  version: string | null;
  stepId: string | null;
  environment: string | null;
  message: string;
  details?: Record<string, unknown>;
  audience?: string[];
  raisedAt: Date;
}

export function alertMessage(alert: StoredAlert, settings: AlertingSettings): AlertMessage {
  const info = ALERT_LEVEL_INFO[alert.level];
  const id = encodeURIComponent(alert.releaseId);
  const reason = alert.details?.reason;
  return {
    level: alert.level,
    levelName: info.name,
    responseMinutes: info.responseMinutes,
    kind: alert.kind,
    releaseId: alert.releaseId,
    service: alert.service,
    version: alert.version,
    step: alert.stepId,
    environment: alert.environment,
    message: alert.message,
    reason: typeof reason === 'string' && reason.length > 0 ? reason : alert.message,
    links: {
      release: `${settings.apiBaseUrl}/api/v1/releases/${id}`,
      temporal: `${settings.temporalWebUrl}/namespaces/${encodeURIComponent(settings.namespace)}/workflows/${id}`,
    },
    audience: (alert.audience ?? []).map((identity) => ({
      identity,
      email: settings.contacts[identity]?.email ?? null,
      wecomUserId: settings.contacts[identity]?.wecomUserId ?? null,
    })),
    at: alert.raisedAt.toISOString(),
  };
}

/** `[P0] edm-web compensation-failed: …`: the mail subject and the chat messages' headline. */
export function alertHeadline(message: AlertMessage): string {
  const text = message.message.length > 160 ? `${message.message.slice(0, 157)}...` : message.message;
  return `[${message.level}] ${message.service} ${message.kind}: ${text}`;
}

/** The fields every human-readable channel lists, label and value, in this order. */
export function alertFields(message: AlertMessage): [string, string][] {
  return [
    ['Level', `${message.level} (${message.levelName}, respond within ${message.responseMinutes} min)`],
    ['Release', message.releaseId],
    ['Service', message.version ? `${message.service} ${message.version}` : message.service],
    ['Step', message.step ?? '-'],
    ['Environment', message.environment ?? '-'],
    ['Reason', message.reason],
    ['Release (API)', message.links.release],
    ['Temporal Web', message.links.temporal],
    ['At', message.at],
  ];
}
