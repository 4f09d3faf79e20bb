// Activities only the frozen v1 engine (workflows/legacy) calls, kept registered under their names
// for as long as releases may still run on it.
import {
  insertLegacyApproval,
  type LegacyApprovalRecord,
  type LegacyReleaseStateUpdate,
  updateLegacyReleaseState,
} from '../db/legacy-v1-records.js';
import { upsertStep } from '../db/release-records.js';
import type { StepRecord } from '../workflows/release-model.js';
import type { ActivityDeps } from './activity-deps.js';

export function createLegacyV1Activities(deps: ActivityDeps) {
  return {
    async recordStep(releaseId: string, step: StepRecord): Promise<void> {
      await upsertStep(deps.pool, releaseId, step);
    },
    async recordReleaseState(update: LegacyReleaseStateUpdate): Promise<void> {
      await updateLegacyReleaseState(deps.pool, update);
    },
    async recordApproval(approval: LegacyApprovalRecord): Promise<void> {
      await insertLegacyApproval(deps.pool, approval);
    },
  };
}
