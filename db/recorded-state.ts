// What a release's record says before a transition is applied: what the worker's metrics compare
// the transition with, so each gate closing, step ending or release ending is counted once, even
// when a write is retried after it already landed.
import type pg from 'pg';
import type {
  PendingDecision,
  PendingRollbackOrder,
  ReleaseStatus,
  ReleaseType,
  RollbackReport,
  StepStatus,
} from '../workflows/release-model.js';

export interface RecordedState {
  service: string;
  type: ReleaseType;
  status: ReleaseStatus;
  finished: boolean;
  createdAt: Date;
  pendingDecision: PendingDecision | null;
  pendingRollbackOrder: PendingRollbackOrder | null;
  rollback: RollbackReport | null;
  /** The recorded status of each asked step that has a row. */
  stepStatuses: Record<string, StepStatus>;
}

/** The record of `releaseId` with the statuses of `stepIds`; undefined when there is no record. */
export async function readRecordedState(
  pool: pg.Pool,
  releaseId: string,
  stepIds: string[],
): Promise<RecordedState | undefined> {
  const { rows } = await pool.query(
    `SELECT r.service, r.type, r.status, r.finished_at IS NOT NULL AS finished, r.created_at,
            r.pending_decision, r.pending_rollback_order, r.rollback,
            COALESCE((SELECT jsonb_object_agg(s.step_id, s.status) FROM release_steps s
                       WHERE s.release_id = r.id AND s.step_id = ANY($2::text[])), '{}'::jsonb) AS step_statuses
       FROM releases r WHERE r.id = $1`,
    [releaseId, stepIds],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    service: row.service,
    type: row.type,
    status: row.status,
    finished: row.finished,
    createdAt: row.created_at,
    pendingDecision: row.pending_decision ?? null,
    pendingRollbackOrder: row.pending_rollback_order ?? null,
    rollback: row.rollback ?? null,
    stepStatuses: row.step_statuses,
  };
}
