// Writes the release record (R-RECORD). Every write is an upsert or a guarded update, so a retried
// activity changes nothing the first attempt already wrote.
import {
  type ApprovalRecord,
  insertApproval,
  type ReleaseStateUpdate,
  updateReleaseState,
  upsertStep,
} from '../db/release-records.js';
import type { StepRecord } from '../workflows/release-model.js';
import type { ActivityDeps } from './activity-deps.js';

export function createRecordActivities(deps: ActivityDeps) {
  return {
    async recordStep(releaseId: string, step: StepRecord): Promise<void> {
      await upsertStep(deps.pool, releaseId, step);
    },
    async recordReleaseState(update: ReleaseStateUpdate): Promise<void> {
      await updateReleaseState(deps.pool, update);
      deps.logger.info(
        { releaseId: update.releaseId, status: update.status, step: update.currentStep },
        'release state recorded',
      );
    },
    async recordApproval(approval: ApprovalRecord): Promise<void> {
      await insertApproval(deps.pool, approval);
    },
  };
}
