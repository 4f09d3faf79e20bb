// What a plan is resolved with: the error a request that cannot be planned answers with, and the
// command specs every driver-backed step builds from the service's configured commands.
import { fillPlaceholders, secretVariableFor } from '../config/command-template.js';
import type { CommandConfig } from '../config/config-schema.js';
import type { CommandSpec } from '../workflows/release-model.js';

/** The request cannot be planned (unknown service in an environment, missing command…): a 422 for the caller. */
export class PlanError extends Error {
  override name = 'PlanError';
}

export function toCommandSpec(
  command: CommandConfig,
  values: Record<string, string>,
  environment: string,
): CommandSpec {
  const envFrom = Object.fromEntries(
    Object.entries(command.envFrom).map(([name, source]) => [name, secretVariableFor(source, environment)]),
  );
  return { argv: fillPlaceholders(command.argv, values), timeoutMs: command.timeoutSeconds * 1000, envFrom };
}
