// Release records in PostgreSQL (R-RECORD): written by the workflow's activities, read by the API.
import type pg from 'pg';
import type {
  ReleaseFailure,
  ReleaseInput,
  ReleasePlan,
  ReleaseStatus,
  ReleaseType,
  Role,
  StepRecord,
} from '../workflows/release-model.js';

/** The request's record, written before its workflow starts. */
export type NewRelease = Omit<ReleaseInput, 'releaseId'> & { id: string; temporalUrl: string };

export interface ReleaseRow {
  id: string;
  runId: string | null;
  type: ReleaseType;
  service: string;
  version: string;
  changeRef: string | null;
  requestedBy: string;
  status: ReleaseStatus;
  currentStep: string | null;
  failure: ReleaseFailure | null;
  plan: ReleasePlan;
  temporalUrl: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface ApprovalRow {
  gateId: string;
  approver: string;
  roles: Role[];
  decision: 'approve' | 'reject';
  comment: string | null;
  decidedAt: Date;
}

export interface ReleaseDetail extends ReleaseRow {
  steps: StepRecord[];
  approvals: ApprovalRow[];
}

export interface ReleaseFilter {
  status?: ReleaseStatus;
  service?: string;
  type?: ReleaseType;
  limit: number;
}

/** Another release of the same service is still in flight (one active release per service). */
export class ActiveReleaseConflict extends Error {
  constructor(readonly activeReleaseId: string) {
    super(`release ${activeReleaseId} of this service is still in flight`);
  }
}

const UNIQUE_VIOLATION = '23505';
const RELEASE_COLUMNS = `id, run_id, type, service, version, change_ref, requested_by, status, current_step,
  failure, runbook, temporal_url, created_at, updated_at, finished_at`;

function toReleaseRow(row: Record<string, unknown>): ReleaseRow {
  return {
    id: row.id as string,
    runId: row.run_id as string | null,
    type: row.type as ReleaseType,
    service: row.service as string,
    version: row.version as string,
    changeRef: row.change_ref as string | null,
    requestedBy: row.requested_by as string,
    status: row.status as ReleaseStatus,
    currentStep: row.current_step as string | null,
    failure: row.failure as ReleaseFailure | null,
    plan: row.runbook as ReleasePlan,
    temporalUrl: row.temporal_url as string | null,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
    finishedAt: row.finished_at as Date | null,
  };
}

export async function findActiveRelease(pool: pg.Pool, service: string): Promise<ReleaseRow | undefined> {
  const { rows } = await pool.query(
    `SELECT ${RELEASE_COLUMNS} FROM releases WHERE service = $1 AND finished_at IS NULL ORDER BY created_at LIMIT 1`,
    [service],
  );
  return rows[0] ? toReleaseRow(rows[0]) : undefined;
}

/** Inserts the request's record; the partial unique index turns a concurrent second release into a conflict. */
export async function insertRelease(pool: pg.Pool, release: NewRelease): Promise<void> {
  try {
    await pool.query(
      `INSERT INTO releases (id, type, service, version, change_ref, requested_by, status, runbook, temporal_url)
       VALUES ($1, $2, $3, $4, $5, $6, 'running', $7, $8)`,
      [
        release.id,
        release.type,
        release.service,
        release.version,
        release.changeRef ?? null,
        release.requestedBy,
        JSON.stringify(release.plan),
        release.temporalUrl,
      ],
    );
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    const active = await findActiveRelease(pool, release.service);
    throw new ActiveReleaseConflict(active?.id ?? 'unknown');
  }
}

export async function deleteRelease(pool: pg.Pool, id: string): Promise<void> {
  await pool.query('DELETE FROM releases WHERE id = $1', [id]);
}

export async function setRunId(pool: pg.Pool, id: string, runId: string): Promise<void> {
  await pool.query('UPDATE releases SET run_id = $2 WHERE id = $1', [id, runId]);
}

export interface ReleaseStateUpdate {
  releaseId: string;
  status: ReleaseStatus;
  currentStep?: string;
  failure?: ReleaseFailure;
  finished: boolean;
}

export async function updateReleaseState(pool: pg.Pool, update: ReleaseStateUpdate): Promise<void> {
  await pool.query(
    `UPDATE releases SET status = $2, current_step = $3, failure = $4, updated_at = now(),
       finished_at = CASE WHEN $5 THEN COALESCE(finished_at, now()) ELSE NULL END
     WHERE id = $1`,
    [
      update.releaseId,
      update.status,
      update.currentStep ?? null,
      update.failure ? JSON.stringify(update.failure) : null,
      update.finished,
    ],
  );
}

export async function upsertStep(pool: pg.Pool, releaseId: string, step: StepRecord): Promise<void> {
  await pool.query(
    `INSERT INTO release_steps (release_id, step_id, name, environment, kind, status, started_at, finished_at, detail, error)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (release_id, step_id) DO UPDATE SET status = EXCLUDED.status, finished_at = EXCLUDED.finished_at,
       detail = EXCLUDED.detail, error = EXCLUDED.error`,
    [
      releaseId,
      step.id,
      step.name,
      step.environment,
      step.kind,
      step.status,
      step.startedAt,
      step.finishedAt ?? null,
      step.detail ? JSON.stringify(step.detail) : null,
      step.error ?? null,
    ],
  );
}

export interface ApprovalRecord {
  releaseId: string;
  gateId: string;
  approver: string;
  roles: Role[];
  decision: 'approve' | 'reject';
  comment?: string;
  decidedAt: string;
}

export async function insertApproval(pool: pg.Pool, approval: ApprovalRecord): Promise<void> {
  await pool.query(
    `INSERT INTO release_approvals (release_id, gate_id, approver, roles, decision, comment, decided_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
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

export async function getRelease(pool: pg.Pool, id: string): Promise<ReleaseDetail | undefined> {
  const { rows } = await pool.query(`SELECT ${RELEASE_COLUMNS} FROM releases WHERE id = $1`, [id]);
  if (!rows[0]) return undefined;
  const [steps, approvals] = await Promise.all([
    pool.query(
      `SELECT step_id, name, environment, kind, status, started_at, finished_at, detail, error
       FROM release_steps WHERE release_id = $1 ORDER BY started_at, step_id`,
      [id],
    ),
    pool.query(
      `SELECT gate_id, approver, roles, decision, comment, decided_at
       FROM release_approvals WHERE release_id = $1 ORDER BY decided_at`,
      [id],
    ),
  ]);
  return {
    ...toReleaseRow(rows[0]),
    steps: steps.rows.map((row) => ({
      id: row.step_id,
      name: row.name,
      environment: row.environment,
      kind: row.kind,
      status: row.status,
      startedAt: (row.started_at as Date).toISOString(),
      finishedAt: row.finished_at ? (row.finished_at as Date).toISOString() : undefined,
      detail: row.detail ?? undefined,
      error: row.error ?? undefined,
    })),
    approvals: approvals.rows.map((row) => ({
      gateId: row.gate_id,
      approver: row.approver,
      roles: row.roles,
      decision: row.decision,
      comment: row.comment,
      decidedAt: row.decided_at,
    })),
  };
}

export async function listReleases(pool: pg.Pool, filter: ReleaseFilter): Promise<ReleaseRow[]> {
  const conditions: string[] = [];
  const values: unknown[] = [];
  for (const [column, value] of [
    ['status', filter.status],
    ['service', filter.service],
    ['type', filter.type],
  ] as const) {
    if (value === undefined) continue;
    values.push(value);
    conditions.push(`${column} = $${values.length}`);
  }
  values.push(filter.limit);
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const { rows } = await pool.query(
    `SELECT ${RELEASE_COLUMNS} FROM releases ${where} ORDER BY created_at DESC LIMIT $${values.length}`,
    values,
  );
  return rows.map(toReleaseRow);
}
