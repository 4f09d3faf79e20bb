// The record writes of the frozen v1 engine (workflows/legacy), kept for releases still running on
// it. They follow the current schema: the lock is released at the end, a finished record is never
// reopened, and approvals land among the release's decisions.
import type pg from 'pg';
import type { ReleaseFailure, ReleaseStatus, Role } from '../workflows/release-model.js';

export interface LegacyReleaseStateUpdate {
  releaseId: string;
  status: ReleaseStatus;
  currentStep?: string;
  failure?: ReleaseFailure;
  finished: boolean;
}

export async function updateLegacyReleaseState(
  pool: pg.Pool,
  update: LegacyReleaseStateUpdate,
): Promise<void> {
  await pool.query(
    `UPDATE releases SET status = $2, current_step = $3, failure = $4, updated_at = now(), holds_lock = NOT $5,
       finished_at = CASE WHEN $5 THEN now() ELSE NULL END, claimed_at = COALESCE(claimed_at, now())
     WHERE id = $1 AND finished_at IS NULL`,
    [
      update.releaseId,
      update.status,
      update.currentStep ?? null,
      update.failure ? JSON.stringify(update.failure) : null,
      update.finished,
    ],
  );
}

export interface LegacyApprovalRecord {
  releaseId: string;
  gateId: string;
  approver: string;
  roles: Role[];
  decision: 'approve' | 'reject';
  comment?: string;
  decidedAt: string;
}

/** Idempotent: a retried write of the same decision adds nothing. */
export async function insertLegacyApproval(pool: pg.Pool, approval: LegacyApprovalRecord): Promise<void> {
  await pool.query(
    `INSERT INTO release_decisions (release_id, seq, gate_id, actor, roles, decision, comment, outcome, via, decided_at)
     SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, 'counted', 'signal', $7
       FROM release_decisions WHERE release_id = $1
     HAVING NOT EXISTS (SELECT 1 FROM release_decisions
       WHERE release_id = $1 AND gate_id = $2 AND actor = $3 AND decision = $5 AND outcome = 'counted')`,
    [
      approval.releaseId,
      approval.gateId,
      approval.approver,
      approval.roles,
      approval.decision,
      approval.comment ?? null,
      approval.decidedAt,
    ],
  );
}
