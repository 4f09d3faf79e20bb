// Deployment-specific addresses may come from the process environment, so one configuration serves
// a laptop and a docker-compose deployment alike. Only addresses: never roles, never runbooks.
import type { RunwayConfig } from './config-schema.js';

export function applyEnvironmentOverrides(
  config: RunwayConfig,
  env: NodeJS.ProcessEnv = process.env,
): RunwayConfig {
  const { temporal, api } = config.settings;
  if (env.RUNWAY_TEMPORAL_ADDRESS) temporal.address = env.RUNWAY_TEMPORAL_ADDRESS;
  if (env.RUNWAY_TEMPORAL_NAMESPACE) temporal.namespace = env.RUNWAY_TEMPORAL_NAMESPACE;
  if (env.RUNWAY_TEMPORAL_WEB_URL) temporal.webUrl = env.RUNWAY_TEMPORAL_WEB_URL;
  if (env.RUNWAY_API_PORT) {
    const port = Number(env.RUNWAY_API_PORT);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new Error(`RUNWAY_API_PORT is not a port: ${env.RUNWAY_API_PORT}`);
    api.port = port;
  }
  return config;
}
