// Configuration changes over a service's command driver (R-CONFIG-CHANGE): read the revision in
// force, apply one, check the service runs healthily with it. Each is its own activity, so the
// release's history reads as the change: what was in force, what was applied, whether it held.
// `apply` is compare-and-swap: it carries the revision the release saw in force ({expectedRevision},
// `none` when there was none) and the target refuses (exit code 3) when another one is, so a change
// made meanwhile by someone else is never overwritten. Contract of the commands:
//   current → prints {"revision": "…" | null} as JSON (last line)
//   apply   → puts {revision} in force, idempotent; exit 3 when {expectedRevision} is not in force
//   check   → exit 0 when the service runs healthily with {revision}; non-zero otherwise
import { z } from 'zod';
import type { ConfigDriverSpec } from '../workflows/release-model.js';
import type { ActivityDeps } from './activity-deps.js';
import { driverActions } from './drivers/driver-action.js';
import { parseLastJsonLine } from './drivers/driver-output.js';
import { timedAction, withHeartbeat } from './heartbeat.js';
import { asActivityFailure, asCheckFailure } from './target-activities.js';

export interface ConfigTargetRef {
  releaseId: string;
  service: string;
  environment: string;
  driver: ConfigDriverSpec;
}

const currentSchema = z.looseObject({ revision: z.string().min(1).nullable() });

/** How a revision travels on a command line when there is none: a placeholder cannot be empty. */
const NO_REVISION = 'none';

export function createConfigurationActivities(deps: ActivityDeps) {
  const act = driverActions<keyof ConfigDriverSpec['actions']>(deps.workingDirectory, 'apply');
  return {
    /** The revision in force; null when the service has none. */
    async currentConfig(target: ConfigTargetRef): Promise<{ revision: string | null }> {
      return withHeartbeat(
        () => ({ action: 'current' }),
        (signal) =>
          act(target, 'current', {}, signal)
            .then((result) => ({ revision: parseLastJsonLine('current', result, currentSchema).revision }))
            .catch(asActivityFailure),
      );
    },

    /** Idempotent by the driver's contract: applying the revision in force changes nothing. */
    async applyConfig(
      target: ConfigTargetRef & { revision: string; expectRevision: string | null; key: string },
    ): Promise<{ durationMs: number }> {
      const log = deps.logger.child({ releaseId: target.releaseId, environment: target.environment });
      log.info({ revision: target.revision, from: target.expectRevision }, 'applying configuration');
      const { revision, key: idempotencyKey } = target;
      const expectedRevision = target.expectRevision ?? NO_REVISION;
      const applied = await timedAction({ action: 'apply', revision }, (signal) =>
        act(target, 'apply', { revision, expectedRevision, idempotencyKey }, signal).catch(asActivityFailure),
      );
      log.info({ revision, durationMs: applied.durationMs }, 'configuration applied');
      return applied;
    },

    /** The service must run healthily with the revision; a check that ran and failed is final. */
    async checkConfig(target: ConfigTargetRef & { revision: string }): Promise<{ durationMs: number }> {
      const result = await withHeartbeat(
        () => ({ action: 'check', revision: target.revision }),
        (signal) =>
          act(target, 'check', { revision: target.revision }, signal).catch(
            asCheckFailure(`configuration ${target.revision} failed its check: `),
          ),
      );
      return { durationMs: result.durationMs };
    },
  };
}
