// Writes the release record (R-RECORD): one transaction per transition of the release. Retried
// while PostgreSQL is unreachable; an error no retry can mend (a constraint, bad data) is
// non-retryable, after the release row alone has been written so the record still says where the
// release stands. The first write binds the record to the run that makes it; any other run of the
// release (a reset, a re-run under its id) writes nothing (activities/run-authority.ts).
import { ApplicationFailure, Context } from '@temporalio/activity';
import { lockRecordedState, type RecordedState } from '../db/recorded-state.js';
import {
  applyReleaseRowOnly,
  applyTransition,
  type BeforeTransition,
  findLockHolder,
  isPermanentDatabaseError,
  type ReleaseTransition,
} from '../db/release-records.js';
import { findReleaseRun } from '../db/release-runs.js';
import type { ActivityDeps } from './activity-deps.js';

export type { ReleaseTransition } from '../db/release-records.js';

export interface TransitionResult {
  applied: boolean;
  /** Not applied because another run of this release holds its record: this run acts for no one. */
  heldByAnotherRun?: true;
  /**
   * Not applied because the write takes the service's lock and another release holds it (a newer
   * release waiting for the one it supersedes to let go, or a rollback after success beside a newer one).
   */
  lockHeldBy?: string;
}

const SERVICE_LOCK_INDEX = 'releases_service_lock_idx';

/** The run calling, when called as an activity (a direct call in a test has none). */
function callingRun(): string | undefined {
  try {
    return Context.current().info.workflowExecution?.runId;
  } catch {
    return undefined;
  }
}

/**
 * Reads, inside the write's transaction and with the release's row locked, the record as it stood
 * before the write: what the metrics count is what this write changed. Two attempts of one write at
 * once (a timed-out attempt still running beside its retry) both apply, since the record accepts a
 * write of the same seq again; the second one waits for the first's lock and reads what it wrote, so
 * it counts nothing. Metrics never hold up a release: a record that cannot be read goes uncounted.
 * Without metrics nothing is read first.
 */
function recordedStateForMetrics(
  deps: ActivityDeps,
  releaseId: string,
): { read?: BeforeTransition; state(): RecordedState | undefined } {
  if (!deps.metrics) return { state: () => undefined };
  let before: RecordedState | undefined;
  return {
    async read(transaction) {
      before = await lockRecordedState(transaction, releaseId, (error) =>
        deps.logger.debug({ releaseId, err: String(error) }, 'record not read for metrics'),
      );
    },
    state: () => before,
  };
}

function countTransition(deps: ActivityDeps, before: RecordedState | undefined, applied: ReleaseTransition) {
  if (before) deps.metrics?.transitionApplied(before, applied);
}

export function createRecordActivities(deps: ActivityDeps) {
  return {
    async recordTransition(transition: ReleaseTransition): Promise<TransitionResult> {
      const log = deps.logger.child({ releaseId: transition.releaseId, seq: transition.seq });
      const runId = callingRun();
      const before = recordedStateForMetrics(deps, transition.releaseId);
      try {
        const applied = await applyTransition(deps.pool, transition, runId, before.read);
        if (applied) {
          countTransition(deps, before.state(), transition);
          return { applied };
        }
        const holder = runId ? (await findReleaseRun(deps.pool, transition.releaseId))?.runId : null;
        if (holder && holder !== runId) {
          const reason = `run ${runId} does not hold release ${transition.releaseId} (its run is ${holder})`;
          // The first write is the start's claim: the workflow itself refuses the start.
          if (transition.seq === 1 || !deps.runAuthority) return { applied: false, heldByAnotherRun: true };
          return deps.runAuthority.refuse(Context.current().info, reason);
        }
        log.warn('record already closed; transition not applied');
        return { applied };
      } catch (error) {
        if ((error as { constraint?: string }).constraint === SERVICE_LOCK_INDEX) {
          const release = await findReleaseRun(deps.pool, transition.releaseId);
          const holder = release && (await findLockHolder(deps.pool, release.service));
          log.info({ holder: holder?.id }, 'the service is held by another release; transition not applied');
          return { applied: false, lockHeldBy: holder?.id ?? 'another release' };
        }
        if (!isPermanentDatabaseError(error)) throw error;
        const message = (error as Error).message;
        log.error({ err: message, code: (error as { code?: string }).code }, 'record refused the transition');
        // What can still be written is written; then the workflow hears why the rest could not be.
        try {
          // The row alone changed: what it says counts (a rollback, the release's end), its steps do not.
          if (await applyReleaseRowOnly(deps.pool, transition, runId, before.read))
            countTransition(deps, before.state(), { ...transition, steps: [], decisions: [] });
        } catch (rowError) {
          if (!isPermanentDatabaseError(rowError)) throw rowError;
          throw ApplicationFailure.nonRetryable(
            `${message} (the release row could not be written either)`,
            'RecordRejected',
          );
        }
        throw ApplicationFailure.nonRetryable(message, 'RecordRejected');
      }
    },
  };
}
