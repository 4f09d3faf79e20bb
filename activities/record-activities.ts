// Writes the release record (R-RECORD): one transaction per transition of the release. Retried
// while PostgreSQL is unreachable; an error no retry can mend (a constraint, bad data) is
// non-retryable, after the release row alone has been written so the record still says where the
// release stands.
import { ApplicationFailure } from '@temporalio/activity';
import {
  applyReleaseRowOnly,
  applyTransition,
  isPermanentDatabaseError,
  type ReleaseTransition,
} from '../db/release-records.js';
import type { ActivityDeps } from './activity-deps.js';

export type { ReleaseTransition } from '../db/release-records.js';

export function createRecordActivities(deps: ActivityDeps) {
  return {
    async recordTransition(transition: ReleaseTransition): Promise<{ applied: boolean }> {
      const log = deps.logger.child({ releaseId: transition.releaseId, seq: transition.seq });
      try {
        const applied = await applyTransition(deps.pool, transition);
        if (!applied) log.warn('record already closed; transition not applied');
        return { applied };
      } catch (error) {
        if (!isPermanentDatabaseError(error)) throw error;
        const message = (error as Error).message;
        log.error({ err: message, code: (error as { code?: string }).code }, 'record refused the transition');
        // What can still be written is written; then the workflow hears why the rest could not be.
        try {
          await applyReleaseRowOnly(deps.pool, transition);
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
