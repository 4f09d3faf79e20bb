// What a service's environment runs is asked of its target with the read action of its deploy
// strategy: blue-green's `inspect`, rolling's `instances`. Resolved from the configuration by
// whoever runs it (the worker) from nothing but the service's and the environment's names, so no
// command ever travels through Temporal for it.

import type { CommandSpec } from '../workflows/release-model.js';
import { fillPlaceholders, secretVariableFor } from './command-template.js';
import type { CommandConfig, RunwayConfig } from './config-schema.js';

export interface InspectionCommand {
  strategy: 'blue-green' | 'rolling';
  command: CommandSpec;
}

/** Undefined when the service does not run in the environment. */
export function inspectionCommandOf(
  config: Pick<RunwayConfig, 'services' | 'environments'>,
  service: string,
  environment: string,
): InspectionCommand | undefined {
  const serviceConfig = config.services[service];
  const target = config.environments[environment]?.services[service];
  if (!serviceConfig || !target) return undefined;
  const values = { ...target.vars, service, environment, url: target.url };
  const command = (action: CommandConfig): CommandSpec => ({
    argv: fillPlaceholders(action.argv, values),
    timeoutMs: action.timeoutSeconds * 1000,
    envFrom: Object.fromEntries(
      Object.entries(action.envFrom).map(([name, source]) => [name, secretVariableFor(source, environment)]),
    ),
  });
  const { deploy } = serviceConfig;
  return deploy.strategy === 'rolling'
    ? { strategy: 'rolling', command: command(deploy.driver.actions.instances) }
    : { strategy: 'blue-green', command: command(deploy.driver.actions.inspect) };
}
