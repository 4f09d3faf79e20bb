// Blue-green deployment over a target's driver (R-RB-BLUEGREEN). Each action is its own activity so
// the release's history in Temporal Web reads as the runbook: inspect, deploy to the idle colour, switch.
import { ApplicationFailure } from '@temporalio/activity';
import type { Colour, DriverSpec } from '../workflows/release-model.js';
import type { ActivityDeps } from './activity-deps.js';
import { createCommandDriver, DriverActionError, type TargetStatus } from './drivers/blue-green-driver.js';
import { withHeartbeat } from './heartbeat.js';

export interface TargetRef {
  releaseId: string;
  service: string;
  environment: string;
  driver: DriverSpec;
}

function driverFor(deps: ActivityDeps, target: TargetRef, signal: AbortSignal) {
  return createCommandDriver(
    target.driver,
    { service: target.service, environment: target.environment },
    { cwd: deps.workingDirectory, signal },
  );
}

/** A driver that ran and refused is a fact about the target: retrying the same call will not help. */
function asFailure(error: unknown): never {
  if (error instanceof DriverActionError && !error.result.timedOut) {
    throw ApplicationFailure.nonRetryable(error.message, 'DriverActionFailed');
  }
  throw error;
}

export function createTargetActivities(deps: ActivityDeps) {
  return {
    async inspectTarget(target: TargetRef): Promise<TargetStatus> {
      return withHeartbeat(
        () => ({ action: 'inspect' }),
        (signal) => driverFor(deps, target, signal).inspect().catch(asFailure),
      );
    },

    /** Idempotent by the driver's contract: deploying the version a colour already runs changes nothing. */
    async deployToColour(
      target: TargetRef & { colour: Colour; version: string },
    ): Promise<{ durationMs: number }> {
      const log = deps.logger.child({ releaseId: target.releaseId, environment: target.environment });
      log.info({ colour: target.colour, version: target.version }, 'deploying to idle colour');
      const result = await withHeartbeat(
        () => ({ action: 'deploy', colour: target.colour }),
        (signal) => driverFor(deps, target, signal).deploy(target.colour, target.version).catch(asFailure),
      );
      log.info({ colour: target.colour, durationMs: result.durationMs }, 'deployed');
      return { durationMs: result.durationMs };
    },

    async switchTraffic(target: TargetRef & { colour: Colour }): Promise<{ durationMs: number }> {
      const result = await withHeartbeat(
        () => ({ action: 'switch', colour: target.colour }),
        (signal) => driverFor(deps, target, signal).switchTo(target.colour).catch(asFailure),
      );
      deps.logger.info(
        { releaseId: target.releaseId, environment: target.environment, colour: target.colour },
        'traffic switched',
      );
      return { durationMs: result.durationMs };
    },
  };
}
