// What a service's target itself says it runs (R-SEMVER: judged against production as it is, not
// Runway's records): the blue-green driver's `inspect`, or the rolling driver's `instances`. Only
// reads; the API asks through a short workflow so that driver commands run on workers, never in it.
// The request names the service and the environment; the command comes from the worker's own
// configuration, never from the request.
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { inspectionCommandOf } from '../config/inspection-command.js';
import type { ActivityDeps } from './activity-deps.js';
import { DriverActionError, targetStatusSchema } from './drivers/blue-green-driver.js';
import { runCommand } from './drivers/command-runner.js';
import { parseLastJsonLine } from './drivers/driver-output.js';
import { withHeartbeat } from './heartbeat.js';
import { asActivityFailure } from './target-activities.js';

export interface TargetInspectionRequest {
  service: string;
  environment: string;
}

export type TargetInspection =
  | {
      strategy: 'blue-green';
      activeColour: 'blue' | 'green' | null;
      colours: { blue: { version: string } | null; green: { version: string } | null };
    }
  | { strategy: 'rolling'; instances: { instance: string; version: string }[] };

const instancesSchema = z.array(z.looseObject({ instance: z.string().min(1), version: z.string().min(1) }));

export function createTargetInspectionActivities(deps: ActivityDeps) {
  return {
    async inspectDeployment(request: TargetInspectionRequest): Promise<TargetInspection> {
      const resolved = deps.config && inspectionCommandOf(deps.config, request.service, request.environment);
      if (!resolved) {
        throw ApplicationFailure.nonRetryable(
          `service ${request.service} does not run in ${request.environment} in this worker's configuration`,
          'NoSuchTarget',
        );
      }
      const { strategy, command } = resolved;
      const action = strategy === 'blue-green' ? 'inspect' : 'instances';
      return withHeartbeat(
        () => ({ action }),
        async (signal) => {
          const result = await runCommand(
            command,
            { service: request.service, environment: request.environment },
            { cwd: deps.workingDirectory, signal },
          );
          if (result.exitCode !== 0) throw new DriverActionError(action, result);
          if (strategy === 'rolling') {
            const instances = parseLastJsonLine(action, result, instancesSchema);
            return {
              strategy: 'rolling' as const,
              instances: instances.map(({ instance, version }) => ({ instance, version })),
            };
          }
          const status = parseLastJsonLine(action, result, targetStatusSchema);
          const colour = (name: 'blue' | 'green') => {
            const state = status.colours[name];
            return state ? { version: state.version } : null;
          };
          return {
            strategy: 'blue-green' as const,
            activeColour: status.activeColour,
            colours: { blue: colour('blue'), green: colour('green') },
          };
        },
      ).catch(asActivityFailure);
    },
  };
}
