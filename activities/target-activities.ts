// Blue-green deployment over a target's driver (R-RB-BLUEGREEN). Each action is its own activity so
// the release's history in Temporal Web reads as the runbook: inspect, deploy to the idle colour,
// check, switch. Deploy, switch and retire are compare-and-swap: they carry the colour the release
// expects to be active, and the target refuses when someone changed it meanwhile.
import { ApplicationFailure } from '@temporalio/activity';
import type { Colour, DriverSpec } from '../workflows/release-model.js';
import type { ActivityDeps } from './activity-deps.js';
import {
  createCommandDriver,
  DriverActionError,
  TargetChangedError,
  type TargetStatus,
} from './drivers/blue-green-driver.js';
import { DriverContractError } from './drivers/driver-output.js';
import { throwIfCancelled, withHeartbeat } from './heartbeat.js';

/** A v1 release's driver, resolved before `retire` existed; it never retires. */
type V1DriverSpec = { type: 'command'; actions: Omit<DriverSpec['actions'], 'retire'> };

export interface TargetRef {
  releaseId: string;
  service: string;
  environment: string;
  driver: DriverSpec | V1DriverSpec;
}

/**
 * The colour the release found active (null when nothing was: a first deploy), and the call's
 * idempotency key, the same on every attempt. Both absent for v1 callers.
 */
type Expectation = { expectActive?: Colour | null; key?: string };

function driverFor(deps: ActivityDeps, target: TargetRef, signal: AbortSignal) {
  return createCommandDriver(
    target.driver as DriverSpec,
    { service: target.service, environment: target.environment },
    { cwd: deps.workingDirectory, signal },
  );
}

/**
 * Driver failures are retried (the actions are idempotent, and a target may be briefly unreachable);
 * a target changed by someone else, or output that breaks the driver contract, is final. An action
 * cut short by a cancellation ends as cancelled, so a cancelled release ends `cancelled`. Every
 * deploy strategy over a command driver (blue-green here, rolling) maps its errors this way.
 */
export function asActivityFailure(error: unknown): never {
  throwIfCancelled();
  if (error instanceof TargetChangedError)
    throw ApplicationFailure.nonRetryable(error.message, 'TargetChanged');
  if (error instanceof DriverActionError)
    throw ApplicationFailure.retryable(error.message, 'DriverActionFailed');
  if (error instanceof DriverContractError)
    throw ApplicationFailure.nonRetryable(error.message, 'DriverContractViolated');
  throw error;
}

/**
 * As asActivityFailure, except that a check that ran and failed is the verdict on this version: no
 * retry changes it. `prefix` names what failed its check when the message alone would not.
 */
export function asCheckFailure(prefix: string): (error: unknown) => never {
  return (error) => {
    throwIfCancelled();
    if (error instanceof DriverActionError && !error.result.timedOut && !error.result.cancelled) {
      throw ApplicationFailure.nonRetryable(`${prefix}${error.message}`, 'TargetCheckFailed');
    }
    return asActivityFailure(error);
  };
}

export function createTargetActivities(deps: ActivityDeps) {
  return {
    async inspectTarget(target: TargetRef): Promise<TargetStatus> {
      return withHeartbeat(
        () => ({ action: 'inspect' }),
        (signal) => driverFor(deps, target, signal).inspect().catch(asActivityFailure),
      );
    },

    /** Idempotent by the driver's contract: deploying the version a colour already runs changes nothing. */
    async deployToColour(
      target: TargetRef & Expectation & { colour: Colour; version: string },
    ): Promise<{ durationMs: number }> {
      const log = deps.logger.child({ releaseId: target.releaseId, environment: target.environment });
      log.info({ colour: target.colour, version: target.version }, 'deploying to idle colour');
      const result = await withHeartbeat(
        () => ({ action: 'deploy', colour: target.colour }),
        (signal) =>
          driverFor(deps, target, signal)
            .deploy(target.colour, target.version, target.expectActive ?? null, target.key)
            .catch(asActivityFailure),
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
          driverFor(deps, target, signal).check(target.colour, target.version).catch(asCheckFailure('')),
      );
      return { durationMs: result.durationMs };
    },

    switchTraffic(target: TargetRef & Expectation & { colour: Colour }): Promise<{ durationMs: number }> {
      return changeTraffic(deps, 'switch', target, 'traffic switched');
    },

    /** Takes a colour out of service: the undo of a first-ever deploy. */
    retireColour(target: TargetRef & Expectation & { colour: Colour }): Promise<{ durationMs: number }> {
      return changeTraffic(deps, 'retire', target, 'colour taken out of service');
    },
  };
}

/** A compare-and-swap on where traffic goes (switch, retire): one shape, the driver action differs. */
async function changeTraffic(
  deps: ActivityDeps,
  action: 'switch' | 'retire',
  target: TargetRef & Expectation & { colour: Colour },
  done: string,
): Promise<{ durationMs: number }> {
  const result = await withHeartbeat(
    () => ({ action, colour: target.colour }),
    (signal) => {
      const driver = driverFor(deps, target, signal);
      const act = action === 'switch' ? driver.switchTo : driver.retire;
      return act(target.colour, target.expectActive ?? null, target.key).catch(asActivityFailure);
    },
  );
  deps.logger.info(
    { releaseId: target.releaseId, environment: target.environment, colour: target.colour },
    done,
  );
  return { durationMs: result.durationMs };
}
