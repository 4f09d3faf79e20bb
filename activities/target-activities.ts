// Blue-green deployment over a target's driver (R-RB-BLUEGREEN). Each action is its own activity so
// the release's history in Temporal Web reads as the runbook: inspect, deploy to the idle colour, switch.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Colour, DriverSpec } from '../workflows/release-model.js';
import type { ActivityDeps } from './activity-deps.js';
import {
  createCommandDriver,
  DriverActionError,
  DriverContractError,
  type TargetStatus,
} from './drivers/blue-green-driver.js';
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

/**
 * Driver failures are retried (the actions are idempotent, and a target may be briefly unreachable);
 * output that breaks the driver contract is a configuration fault no retry can mend. An action cut
 * short because the worker is stopping is retried on the next worker, never counted as a verdict.
 */
function asFailure(error: unknown): never {
  if (Context.current().cancellationSignal.aborted) throw error;
  if (error instanceof DriverActionError)
    throw ApplicationFailure.retryable(error.message, 'DriverActionFailed');
  if (error instanceof DriverContractError)
    throw ApplicationFailure.nonRetryable(error.message, 'DriverContractViolated');
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

    /** The idle colour must pass its checks before it takes traffic (R-RB-BLUEGREEN). */
    async checkColour(
      target: TargetRef & { colour: Colour; version: string },
    ): Promise<{ durationMs: number }> {
      const result = await withHeartbeat(
        () => ({ action: 'check', colour: target.colour }),
        (signal) =>
          driverFor(deps, target, signal)
            .check(target.colour, target.version)
            .catch((error: unknown) => {
              // A check that ran and failed is the verdict on this version: no retry changes it.
              if (error instanceof DriverActionError && !error.result.timedOut && !error.result.cancelled) {
                throw ApplicationFailure.nonRetryable(error.message, 'TargetCheckFailed');
              }
              return asFailure(error);
            }),
      );
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
