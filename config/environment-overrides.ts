// Deployment-specific addresses may come from the process environment, so one configuration serves
// a laptop and a docker-compose deployment alike. Only addresses and the certificate files that go
// with them: never roles, never runbooks.
import { resolve } from 'node:path';
import type { z } from 'zod';
import { apiTlsSchema, metricsListenAddress, type RunwayConfig, temporalTlsSchema } from './config-schema.js';

/** Where each process serves /metrics: a second worker on one host takes another port this way. */
export const METRICS_LISTEN_ENV = {
  api: 'RUNWAY_API_METRICS_LISTEN',
  worker: 'RUNWAY_WORKER_METRICS_LISTEN',
} as const;

/** mTLS to Temporal, field by field (temporal.tls in runway.yml). */
export const TEMPORAL_TLS_ENV = {
  caFile: 'RUNWAY_TEMPORAL_TLS_CA_FILE',
  certFile: 'RUNWAY_TEMPORAL_TLS_CERT_FILE',
  keyFile: 'RUNWAY_TEMPORAL_TLS_KEY_FILE',
  serverName: 'RUNWAY_TEMPORAL_TLS_SERVER_NAME',
} as const;

/** The API's HTTPS certificate and key (api.tls in runway.yml). */
export const API_TLS_ENV = {
  certFile: 'RUNWAY_API_TLS_CERT_FILE',
  keyFile: 'RUNWAY_API_TLS_KEY_FILE',
} as const;

/**
 * The TLS settings with the variables set put over the configured ones. A path in a variable is
 * taken from the folder the process starts in, as on a command line. Variables that leave the
 * settings incomplete (a CA but no client certificate) stop the start, naming what is missing.
 */
function tlsWithOverrides<S extends z.ZodType<object>>(
  setting: string,
  schema: S,
  configured: z.infer<S> | undefined,
  names: Record<string, string>,
  env: NodeJS.ProcessEnv,
): z.infer<S> | undefined {
  const given = Object.entries(names).filter(([, name]) => env[name]);
  if (given.length === 0) return configured;
  const merged: Record<string, unknown> = { ...configured };
  for (const [field, name] of given) {
    const value = env[name] ?? '';
    merged[field] = field.endsWith('File') ? resolve(value) : value;
  }
  const parsed = schema.safeParse(merged);
  if (parsed.success) return parsed.data;
  const missing = [...new Set(parsed.error.issues.map((issue) => String(issue.path[0])))];
  throw new Error(
    `${given.map(([, name]) => name).join(', ')} set, but ${setting} has no ${missing.join(', ')}: ` +
      `set ${missing.map((field) => names[field] ?? field).join(', ')} too, or ${setting} in runway.yml`,
  );
}

function listenAddressFrom(env: NodeJS.ProcessEnv, name: string): string {
  const parsed = metricsListenAddress.safeParse(env[name]);
  if (!parsed.success)
    throw new Error(`${name} is not a host:port address (e.g. 127.0.0.1:9464): ${env[name]}`);
  return parsed.data;
}

function secondsFrom(env: NodeJS.ProcessEnv, name: string): number {
  const seconds = Number(env[name]);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 600)
    throw new Error(`${name} is not a number of seconds (1–600): ${env[name]}`);
  return seconds;
}

export function applyEnvironmentOverrides(
  config: RunwayConfig,
  env: NodeJS.ProcessEnv = process.env,
): RunwayConfig {
  const { temporal, api } = config.settings;
  if (env.RUNWAY_TEMPORAL_ADDRESS) temporal.address = env.RUNWAY_TEMPORAL_ADDRESS;
  if (env.RUNWAY_TEMPORAL_NAMESPACE) temporal.namespace = env.RUNWAY_TEMPORAL_NAMESPACE;
  if (env.RUNWAY_TEMPORAL_WEB_URL) temporal.webUrl = env.RUNWAY_TEMPORAL_WEB_URL;
  // Timings tests shorten (a crash is then noticed in seconds, not half a minute).
  if (env.RUNWAY_HEARTBEAT_TIMEOUT_SECONDS) {
    temporal.heartbeatTimeoutSeconds = secondsFrom(env, 'RUNWAY_HEARTBEAT_TIMEOUT_SECONDS');
  }
  if (env.RUNWAY_IDEMPOTENCY_LEASE_SECONDS) {
    api.idempotencyLeaseSeconds = secondsFrom(env, 'RUNWAY_IDEMPOTENCY_LEASE_SECONDS');
  }
  if (env.RUNWAY_API_PORT) {
    const port = Number(env.RUNWAY_API_PORT);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new Error(`RUNWAY_API_PORT is not a port: ${env.RUNWAY_API_PORT}`);
    api.port = port;
  }
  const temporalTls = tlsWithOverrides(
    'temporal.tls',
    temporalTlsSchema,
    temporal.tls,
    TEMPORAL_TLS_ENV,
    env,
  );
  if (temporalTls) temporal.tls = temporalTls;
  const apiTls = tlsWithOverrides('api.tls', apiTlsSchema, api.tls, API_TLS_ENV, env);
  if (apiTls) api.tls = apiTls;
  for (const role of ['api', 'worker'] as const) {
    const name = METRICS_LISTEN_ENV[role];
    if (env[name]) config.settings.metrics.listen[role] = listenAddressFrom(env, name);
  }
  return config;
}
