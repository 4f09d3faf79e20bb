// Deployment-specific addresses may come from the process environment, so one configuration serves
// a laptop and a docker-compose deployment alike. Only addresses: never roles, never runbooks.
import { metricsListenAddress, type RunwayConfig } from './config-schema.js';

/** Where each process serves /metrics: a second worker on one host takes another port this way. */
export const METRICS_LISTEN_ENV = {
  api: 'RUNWAY_API_METRICS_LISTEN',
  worker: 'RUNWAY_WORKER_METRICS_LISTEN',
} as const;

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
  for (const role of ['api', 'worker'] as const) {
    const name = METRICS_LISTEN_ENV[role];
    if (env[name]) config.settings.metrics.listen[role] = listenAddressFrom(env, name);
  }
  return config;
}
