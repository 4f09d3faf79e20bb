// What a release's record says before a transition is applied: what the worker's metrics compare
// the transition with, so each gate closing, step ending or release ending is counted once, even
// when a write is retried after it already landed, or two attempts of one write run at once.
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
  /** The ids of the steps of the release's runbook, in order: its production work. */
  planStepIds: string[];
  /** The recorded status of each step of the release that has a row (compensations included). */
  stepStatuses: Record<string, StepStatus>;
}

type Queryable = Pick<pg.Pool, 'query'>;

/** The record of `releaseId` as `db` sees it now; undefined when there is no record. */
export async function readRecordedState(
  db: Queryable,
  releaseId: string,
): Promise<RecordedState | undefined> {
  const { rows } = await db.query(
    `SELECT r.service, r.type, r.status, r.finished_at IS NOT NULL AS finished, r.created_at,
            r.pending_decision, r.pending_rollback_order, r.rollback,
            ARRAY(SELECT step->>'id' FROM jsonb_array_elements(COALESCE(r.runbook->'steps', '[]'::jsonb)) step)
              AS plan_step_ids,
            COALESCE((SELECT jsonb_object_agg(s.step_id, s.status) FROM release_steps s
                       WHERE s.release_id = r.id), '{}'::jsonb) AS step_statuses
       FROM releases r WHERE r.id = $1`,
    [releaseId],
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
    planStepIds: row.plan_step_ids,
    stepStatuses: row.step_statuses,
  };
}

/**
 * The record as it stands for a write about to change it, inside the write's transaction: the
 * release's row is locked first (FOR NO KEY UPDATE, the lock the write's UPDATE takes anyway), so a
 * second attempt of the same write waits here and then reads what the first one committed. A read
 * that fails is undone to a savepoint and handed to `unread`, leaving the transaction usable: what
 * the caller counts from it must never hold up the write.
 */
export async function lockRecordedState(
  transaction: pg.PoolClient,
  releaseId: string,
  unread: (error: unknown) => void,
): Promise<RecordedState | undefined> {
  await transaction.query('SELECT 1 FROM releases WHERE id = $1 FOR NO KEY UPDATE', [releaseId]);
  await transaction.query('SAVEPOINT recorded_state');
  try {
    const state = await readRecordedState(transaction, releaseId);
    await transaction.query('RELEASE SAVEPOINT recorded_state');
    return state;
  } catch (error) {
    await transaction.query('ROLLBACK TO SAVEPOINT recorded_state');
    unread(error);
    return undefined;
  }
}
