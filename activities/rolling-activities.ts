// Rolling deployment over a target's command driver (R-RB-ROLLING): list the instances with their
// versions, update one, check one. Each is its own activity, so the release's history reads as the
// rollout: which instance, which version, in which order. `update` is compare-and-swap: it carries
// the version the release saw on the instance ({expectedVersion}) and the target refuses (exit code
// 3) when the instance runs something else, so a change made by hand is never overwritten.
// Contract of the commands:
//   instances → prints [{"instance": "…", "version": "…"}] as JSON (last line), in update order
//   update    → puts {version} on {instance}, idempotent; exit 3 when it does not run {expectedVersion}
//   check     → exit 0 when {instance} itself is healthy and runs {version}; non-zero otherwise
import { z } from 'zod';
import type { RollingDriverSpec } from '../workflows/release-model.js';
import type { ActivityDeps } from './activity-deps.js';
import type { CommandResult } from './drivers/command-runner.js';
import { driverActions } from './drivers/driver-action.js';
import { DriverContractError, parseLastJsonLine } from './drivers/driver-output.js';
import { timedAction, withHeartbeat } from './heartbeat.js';
import { asActivityFailure, asCheckFailure } from './target-activities.js';

export interface RollingTargetRef {
  releaseId: string;
  service: string;
  environment: string;
  driver: RollingDriverSpec;
}

const instancesSchema = z.array(
  z.looseObject({ instance: z.string().min(1), version: z.string().min(1), healthy: z.boolean().optional() }),
);
export interface InstanceState {
  instance: string;
  version: string;
  healthy?: boolean;
}

type RollingAction = keyof RollingDriverSpec['actions'];

function parseInstances(result: CommandResult): InstanceState[] {
  const instances = parseLastJsonLine('instances', result, instancesSchema);
  const names = instances.map((entry) => entry.instance);
  if (new Set(names).size !== names.length)
    throw new DriverContractError(`instances named an instance twice: ${names.join(', ')}`);
  return instances.map(({ instance, version, healthy }) => ({
    instance,
    version,
    ...(healthy === undefined ? {} : { healthy }),
  }));
}

export function createRollingActivities(deps: ActivityDeps) {
  const act = driverActions<RollingAction>(deps.workingDirectory, 'update');
  return {
    async listInstances(target: RollingTargetRef): Promise<InstanceState[]> {
      return withHeartbeat(
        () => ({ action: 'instances' }),
        (signal) => act(target, 'instances', {}, signal).then(parseInstances).catch(asActivityFailure),
      );
    },

    /** Idempotent by the driver's contract: an instance already on `version` is left as it is. */
    async updateInstance(
      target: RollingTargetRef & { instance: string; version: string; expectVersion: string; key: string },
    ): Promise<{ durationMs: number }> {
      const log = deps.logger.child({ releaseId: target.releaseId, environment: target.environment });
      log.info(
        { instance: target.instance, version: target.version, from: target.expectVersion },
        'updating instance',
      );
      const { instance, version, expectVersion: expectedVersion, key: idempotencyKey } = target;
      const updated = await timedAction({ action: 'update', instance }, (signal) =>
        act(target, 'update', { instance, version, expectedVersion, idempotencyKey }, signal).catch(
          asActivityFailure,
        ),
      );
      log.info({ instance, durationMs: updated.durationMs }, 'instance updated');
      return updated;
    },

    /** Each instance must pass its checks before the next batch starts (R-RB-ROLLING). */
    async checkInstance(
      target: RollingTargetRef & { instance: string; version: string },
    ): Promise<{ durationMs: number }> {
      const values = { instance: target.instance, version: target.version };
      const result = await withHeartbeat(
        () => ({ action: 'check', instance: target.instance }),
        (signal) =>
          act(target, 'check', values, signal).catch(asCheckFailure(`${target.instance} failed its check: `)),
      );
      return { durationMs: result.durationMs };
    },
  };
}
