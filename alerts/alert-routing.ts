// Which channels an alert goes to (R-ALERT), from runway.yml `alerts`: by its level, except a stage
// change, which is announced only in the release's own channel (seed: 发布中沟通). Pure, so the
// activity that records an alert answers with its routes and the workflow delivers to each.
import type { RunwaySettings } from '../config/config-schema.js';
import type { AlertKind, AlertLevel } from './notifier.js';

export type AlertsConfig = RunwaySettings['alerts'];

/** The seed's levels: what each means and how soon someone must respond. */
export const ALERT_LEVEL_INFO: Record<AlertLevel, { name: string; responseMinutes: number }> = {
  P0: { name: 'critical', responseMinutes: 5 },
  P1: { name: 'major', responseMinutes: 15 },
  P2: { name: 'minor', responseMinutes: 30 },
  P3: { name: 'notice', responseMinutes: 60 },
};

export interface RoutableAlert {
  level: AlertLevel;
  kind: AlertKind;
  service: string;
}

/** The names of the configured channels the alert goes to, each once, in configuration order. */
export function routeAlert(alerts: AlertsConfig, alert: RoutableAlert): string[] {
  const names =
    alert.kind === 'stage-changed' ? releaseChannel(alerts, alert.service) : alerts.routes[alert.level];
  return [...new Set(names)].filter((name) => alerts.channels[name] !== undefined);
}

function releaseChannel(alerts: AlertsConfig, service: string): string[] {
  const channel = alerts.announcements.services[service] ?? alerts.announcements.default;
  return channel === undefined ? [] : [channel];
}

/** Routes that name a channel nobody configured: said at start, so a typo does not silence alerts. */
export function unknownRouteChannels(alerts: AlertsConfig): string[] {
  const named = [
    ...Object.values(alerts.routes).flat(),
    ...Object.values(alerts.announcements.services),
    ...(alerts.announcements.default ? [alerts.announcements.default] : []),
  ];
  return [...new Set(named.filter((name) => alerts.channels[name] === undefined))];
}
