// What a standalone Runway process (API, worker) reads at start: the validated configuration with
// the environment's address overrides, and the database URL from the variable the config names.
import type { RunwayConfig } from './config-schema.js';
import { applyEnvironmentOverrides } from './environment-overrides.js';
import { loadConfig } from './load-config.js';
import { projectRoot } from './project-root.js';
import { loadSecretsFile } from './secrets-file.js';

export async function loadProcessConfig(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ config: RunwayConfig; databaseUrl: string }> {
  // First: the database URL and the tokens may be among the secrets, in a file outside the project.
  loadSecretsFile(projectRoot, env);
  const config = applyEnvironmentOverrides(await loadConfig(env.RUNWAY_CONFIG_DIR), env);
  const databaseUrl = env[config.settings.database.urlEnv];
  if (!databaseUrl) throw new Error(`${config.settings.database.urlEnv} is not set`);
  return { config, databaseUrl };
}
