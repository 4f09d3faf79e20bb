// Release records in PostgreSQL (R-RECORD): written by the workflow's activities, read by the API.
import type pg from 'pg';
import type {
  CompensationEntry,
  ConfigChangeRequest,
  DecisionRecord,
  EscalationNotice,
  PendingDecision,
  PendingGate,
  PendingRollbackOrder,
  PostHocState,
  ReleaseFailure,
  ReleaseInput,
  ReleasePlan,
  ReleaseState,
  ReleaseStatus,
  ReleaseType,
  RollbackReport,
  StepRecord,
} from '../workflows/release-model.js';
import { recordRefusedDecision } from './audit-log.js';

/** The workflow types a record may belong to: the frozen v1 engine and the current one. */
export type WorkflowType = 'releaseWorkflow' | 'releaseWorkflowV2';

/** The request's record, written before its workflow starts; it takes the service's lock. */
export type NewRelease = Omit<ReleaseInput, 'releaseId'> & {
  id: string;
  temporalUrl: string;
  environments: string[];
  workflowType: WorkflowType;
};

export interface ReleaseRow {
  id: string;
  runId: string | null;
  workflowType: WorkflowType;
  type: ReleaseType;
  service: string;
  version: string;
  changeRef: string | null;
  /** A config-change's request (R-CONFIG-CHANGE); absent for other types. */
  configChange?: ConfigChangeRequest | null;
  requestedBy: string;
  status: ReleaseStatus;
  currentStep: string | null;
  currentEnvironment: string | null;
  failure: ReleaseFailure | null;
  plan: ReleasePlan;
  environments: string[];
  pendingGate: PendingGate | null;
  waitingWindow: ReleaseState['waitingWindow'] | null;
  rollbackPlan: CompensationEntry[];
  pendingDecision: PendingDecision | null;
  pendingRollbackOrder: PendingRollbackOrder | null;
  rollback: RollbackReport | null;
  /** A succeeded release may still be rolled back until then (its record stays open, without the lock). */
  rollbackOpenUntil: Date | null;
  /** R-SLA, R-ESCALATE, R-POSTHOC, R-EXPIRE: null (empty) for releases without oversight. */
  sla?: NonNullable<ReleaseState['sla']> | null;
  escalations?: EscalationNotice[];
  postHoc?: PostHocState | null;
  supersededBy?: string | null;
  holdsLock: boolean;
  claimedAt: Date | null;
  temporalUrl: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface ReleaseDetail extends ReleaseRow {
  /** Moves whenever anything the release's view shows changes (migration release-record-version). */
  recordVersion: number;
  steps: StepRecord[];
  decisions: DecisionRecord[];
}

export interface ReleaseFilter {
  status?: ReleaseStatus;
  service?: string;
  type?: ReleaseType;
  limit: number;
  /** Only releases that touch at least one of these environments (per-environment reads, R-AUTH). */
  readableEnvironments: string[];
}

/** A record with this id exists already (a retried start resuming its own record). */
export class ReleaseIdTaken extends Error {}

/** Another release of the same service holds the lock (one release per service). */
export class ActiveReleaseConflict extends Error {
  constructor(readonly active: ReleaseRow | undefined) {
    super(`release ${active?.id ?? 'unknown'} of this service is still in flight`);
  }
}

/** SQLSTATE classes no retry can mend: bad data, constraints, the schema, program limits. */
const PERMANENT_SQLSTATE_CLASSES = new Set(['22', '23', '42', '2B', '2F', '54']);

/** True for a database error that a retry would only repeat (R-RECORD: never retry for ever). */
export function isPermanentDatabaseError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.length === 5 && PERMANENT_SQLSTATE_CLASSES.has(code.slice(0, 2));
}

const UNIQUE_VIOLATION = '23505';
/** A whole record's columns (the baseline of the read benchmark reads them too). */
export const RELEASE_COLUMNS = `id, run_id, workflow_type, type, service, version, change_ref, requested_by, status,
  current_step, current_environment, failure, runbook, environments, pending_gate, waiting_window, rollback_plan, holds_lock,
  claimed_at, temporal_url, created_at, updated_at, finished_at, pending_decision, pending_rollback_order, rollback,
  rollback_open_until, sla, escalations, post_hoc, superseded_by, config_change`;

/** The fields a summary shows: read the same way for a whole record and for a list row. */
function summaryFields(row: Record<string, unknown>): Omit<ReleaseSummaryRow, 'plan' | 'rollbackPlan'> {
  return {
    id: row.id as string,
    runId: row.run_id as string | null,
    type: row.type as ReleaseType,
    service: row.service as string,
    version: row.version as string,
    changeRef: row.change_ref as string | null,
    configChange: (row.config_change as ConfigChangeRequest | null) ?? null,
    requestedBy: row.requested_by as string,
    status: row.status as ReleaseStatus,
    currentStep: row.current_step as string | null,
    currentEnvironment: row.current_environment as string | null,
    failure: row.failure as ReleaseFailure | null,
    environments: row.environments as string[],
    claimedAt: row.claimed_at as Date | null,
    temporalUrl: row.temporal_url as string | null,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
    finishedAt: row.finished_at as Date | null,
  };
}

function toReleaseRow(row: Record<string, unknown>): ReleaseRow {
  return {
    ...summaryFields(row),
    workflowType: row.workflow_type as WorkflowType,
    plan: row.runbook as ReleasePlan,
    pendingGate: row.pending_gate as PendingGate | null,
    waitingWindow: row.waiting_window as ReleaseRow['waitingWindow'],
    rollbackPlan: (row.rollback_plan as CompensationEntry[] | null) ?? [],
    pendingDecision: (row.pending_decision as PendingDecision | null) ?? null,
    pendingRollbackOrder: (row.pending_rollback_order as PendingRollbackOrder | null) ?? null,
    rollback: (row.rollback as RollbackReport | null) ?? null,
    rollbackOpenUntil: (row.rollback_open_until as Date | null) ?? null,
    sla: (row.sla as ReleaseRow['sla']) ?? null,
    escalations: (row.escalations as EscalationNotice[] | null) ?? [],
    postHoc: (row.post_hoc as PostHocState | null) ?? null,
    supersededBy: (row.superseded_by as string | null) ?? null,
    holdsLock: row.holds_lock as boolean,
  };
}

export async function findLockHolder(pool: pg.Pool, service: string): Promise<ReleaseRow | undefined> {
  const { rows } = await pool.query(
    `SELECT ${RELEASE_COLUMNS} FROM releases WHERE service = $1 AND holds_lock`,
    [service],
  );
  return rows[0] ? toReleaseRow(rows[0]) : undefined;
}

/**
 * Inserts the request's record holding the service's lock. The partial unique index makes this
 * atomic: of two concurrent starts, exactly one inserts; the other gets ActiveReleaseConflict.
 */
export async function insertRelease(
  pool: pg.Pool,
  release: NewRelease,
  options: { holdsLock: boolean } = { holdsLock: true },
): Promise<void> {
  try {
    await pool.query(
      `INSERT INTO releases (id, workflow_type, type, service, version, change_ref, requested_by, status, runbook,
         environments, holds_lock, temporal_url, config_change)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'running', $8, $9, $12, $10, $11)`,
      [
        release.id,
        release.workflowType,
        release.type,
        release.service,
        release.version,
        release.changeRef ?? null,
        release.requestedBy,
        JSON.stringify(release.plan),
        release.environments,
        release.temporalUrl,
        release.configChange ? JSON.stringify(release.configChange) : null,
        options.holdsLock,
      ],
    );
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    if ((error as { constraint?: string }).constraint === 'releases_pkey')
      throw new ReleaseIdTaken(release.id);
    throw new ActiveReleaseConflict(await findLockHolder(pool, release.service));
  }
}

export async function deleteRelease(pool: pg.Pool, id: string): Promise<void> {
  await pool.query('DELETE FROM releases WHERE id = $1 AND claimed_at IS NULL', [id]);
}

/** The run the API started; never replaces one the workflow's first write already bound. */
export async function setRunId(pool: pg.Pool, id: string, runId: string): Promise<void> {
  await pool.query('UPDATE releases SET run_id = $2 WHERE id = $1 AND run_id IS NULL', [id, runId]);
}

/** One transition of a v2 release, as its workflow sends it: the release row and what changed. */
export interface ReleaseTransition {
  releaseId: string;
  /** Increases with every write of the workflow; an older write never overwrites a newer one. */
  seq: number;
  status: ReleaseStatus;
  currentStep: string | null;
  environment: string | null;
  failure: ReleaseFailure | null;
  pendingGate: PendingGate | null;
  /** Absent in transitions of workflows that predate release windows. */
  waitingWindow?: ReleaseState['waitingWindow'] | null;
  /** Absent in transitions of workflows that predate rollback and guided failure. */
  pendingDecision?: PendingDecision | null;
  pendingRollbackOrder?: PendingRollbackOrder | null;
  rollback?: RollbackReport | null;
  rollbackOpenUntil?: string | null;
  /** Absent in transitions of workflows whose plan has no oversight. */
  sla?: ReleaseState['sla'] | null;
  escalations?: EscalationNotice[];
  postHoc?: PostHocState | null;
  supersededBy?: string | null;
  rollbackPlan: CompensationEntry[];
  holdsLock: boolean;
  finished: boolean;
  steps: StepRecord[];
  decisions: DecisionRecord[];
}

const UPDATE_RELEASE_ROW = `UPDATE releases SET status = $2, current_step = $3, current_environment = $4,
    failure = $5, pending_gate = $6, rollback_plan = $7, holds_lock = $8,
    finished_at = CASE WHEN $9 THEN now() ELSE NULL END, record_seq = $10,
    claimed_at = COALESCE(claimed_at, now()), updated_at = now(), waiting_window = $11,
    pending_decision = $12, pending_rollback_order = $13, rollback = COALESCE($14, rollback),
    rollback_open_until = $15, sla = $16, escalations = COALESCE($17, '[]'::jsonb), post_hoc = $18,
    superseded_by = $19, run_id = COALESCE(run_id, $20)
  WHERE id = $1 AND finished_at IS NULL AND record_seq <= $10 AND ($20::text IS NULL OR run_id IS NULL OR run_id = $20)`;

/**
 * PostgreSQL text and jsonb cannot hold NUL. Whatever reaches a record (a command's output, a
 * comment, a failure message) is made storable here, so no byte can keep a release from ending.
 */
export function storable<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('\u0000', '\uFFFD') as T;
  if (Array.isArray(value)) return value.map(storable) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, storable(item)])) as T;
  }
  return value;
}

function releaseRowValues(transition: ReleaseTransition, runId: string | undefined): unknown[] {
  return [
    transition.releaseId,
    transition.status,
    transition.currentStep,
    transition.environment,
    transition.failure && JSON.stringify(transition.failure),
    transition.pendingGate && JSON.stringify(transition.pendingGate),
    JSON.stringify(transition.rollbackPlan),
    transition.holdsLock,
    transition.finished,
    transition.seq,
    transition.waitingWindow ? JSON.stringify(transition.waitingWindow) : null,
    transition.pendingDecision ? JSON.stringify(transition.pendingDecision) : null,
    transition.pendingRollbackOrder ? JSON.stringify(transition.pendingRollbackOrder) : null,
    transition.rollback ? JSON.stringify(transition.rollback) : null,
    transition.rollbackOpenUntil ?? null,
    transition.sla ? JSON.stringify(transition.sla) : null,
    transition.escalations ? JSON.stringify(transition.escalations) : null,
    transition.postHoc ? JSON.stringify(transition.postHoc) : null,
    transition.supersededBy ?? null,
    runId ?? null,
  ];
}

/**
 * Runs first in a transition's transaction, before anything is written: what it reads there (after
 * locking the release's row) is the record this write changes, whatever other write runs at once.
 */
export type BeforeTransition = (transaction: pg.PoolClient) => Promise<void>;

/**
 * Applies one transition in a transaction. Not applied (false) when the record is already finished
 * — closed by reconciliation, or by this same write retried — which for a first write means the
 * record was taken from this workflow before it ran; or when it is held by another run than `runId`
 * (the run the first write bound: a reset or re-run of the release writes nothing).
 */
export async function applyTransition(
  pool: pg.Pool,
  written: ReleaseTransition,
  runId?: string,
  before?: BeforeTransition,
): Promise<boolean> {
  const transition = storable(written);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await before?.(client);
    const updated = await client.query(UPDATE_RELEASE_ROW, releaseRowValues(transition, runId));
    if (updated.rowCount !== 1) {
      // The record is closed, but decisions are facts of their own: one judged while the workflow
      // was finishing is still kept (append-only, never reopening the release) — if this run holds it.
      const exists = await client.query(
        'SELECT 1 FROM releases WHERE id = $1 AND ($2::text IS NULL OR run_id IS NULL OR run_id = $2)',
        [transition.releaseId, runId ?? null],
      );
      if (exists.rowCount === 1) {
        for (const decision of transition.decisions)
          await insertDecision(client, transition.releaseId, decision);
      }
      await client.query('COMMIT');
      return false;
    }
    for (const step of transition.steps) await upsertStep(client, transition.releaseId, step);
    for (const decision of transition.decisions) await insertDecision(client, transition.releaseId, decision);
    await client.query('COMMIT');
    return true;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** The release row alone: what is left to write when the steps or decisions are refused for good. */
export async function applyReleaseRowOnly(
  pool: pg.Pool,
  transition: ReleaseTransition,
  runId?: string,
  before?: BeforeTransition,
): Promise<boolean> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await before?.(client);
    const updated = await client.query(UPDATE_RELEASE_ROW, releaseRowValues(storable(transition), runId));
    await client.query('COMMIT');
    return updated.rowCount === 1;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Closes the record of a release whose workflow has ended without writing its end (terminated,
 * timed out, or the database was down for its last write). Never reopens a finished record.
 */
export async function closeRelease(
  pool: pg.Pool,
  id: string,
  status: ReleaseStatus,
  failure: ReleaseFailure | null,
): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE releases SET status = $2, failure = COALESCE($3, failure), holds_lock = false, pending_gate = NULL,
       pending_decision = NULL, pending_rollback_order = NULL, rollback_open_until = NULL,
       finished_at = now(), updated_at = now()
     WHERE id = $1 AND finished_at IS NULL`,
    [id, status, failure && JSON.stringify(storable(failure))],
  );
  return rowCount === 1;
}

/**
 * Closes a record whose workflow never claimed it (the API died between insert and start), once it
 * is older than `graceSeconds`. Atomic with the workflow's claim: exactly one of them wins.
 */
export async function abandonUnclaimed(pool: pg.Pool, id: string, graceSeconds: number): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE releases SET status = 'abandoned', holds_lock = false, finished_at = now(), updated_at = now(),
       failure = $3
     WHERE id = $1 AND finished_at IS NULL AND claimed_at IS NULL AND created_at < now() - make_interval(secs => $2)`,
    [id, graceSeconds, JSON.stringify({ step: 'start', reason: 'its workflow never started' })],
  );
  return rowCount === 1;
}

type Queryable = Pick<pg.Pool, 'query'>;

export async function upsertStep(db: Queryable, releaseId: string, step: StepRecord): Promise<void> {
  await db.query(
    `INSERT INTO release_steps (release_id, step_id, name, environment, kind, status, started_at, finished_at, detail, error)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (release_id, step_id) DO UPDATE SET status = EXCLUDED.status, started_at = EXCLUDED.started_at,
       finished_at = EXCLUDED.finished_at, detail = EXCLUDED.detail, error = EXCLUDED.error`,
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

async function insertDecision(db: Queryable, releaseId: string, decision: DecisionRecord): Promise<void> {
  const inserted = await db.query(
    `INSERT INTO release_decisions (release_id, seq, decision_id, gate_id, actor, roles, decision, comment, outcome,
       refusal, reason, seat, via, decided_at, environment)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT DO NOTHING`,
    [
      releaseId,
      decision.seq,
      decision.decisionId,
      decision.gateId,
      decision.actor,
      decision.roles,
      decision.decision,
      decision.comment ?? null,
      decision.outcome,
      decision.refusal ?? null,
      decision.reason ?? null,
      decision.seat ?? null,
      decision.via,
      decision.at,
      decision.environment ?? null,
    ],
  );
  // R-AUDIT: in the same transaction, and only the first time (a retried write inserts nothing).
  if (inserted.rowCount === 1 && decision.outcome === 'refused') {
    await recordRefusedDecision(db, releaseId, decision);
  }
}

export async function getRelease(pool: pg.Pool, id: string): Promise<ReleaseDetail | undefined> {
  const { rows } = await pool.query(`SELECT ${RELEASE_COLUMNS}, record_version FROM releases WHERE id = $1`, [
    id,
  ]);
  if (!rows[0]) return undefined;
  const [steps, decisions] = await Promise.all([
    pool.query(
      `SELECT step_id, name, environment, kind, status, started_at, finished_at, detail, error
       FROM release_steps WHERE release_id = $1 ORDER BY started_at, step_id`,
      [id],
    ),
    pool.query(
      `SELECT seq, decision_id, gate_id, actor, roles, decision, comment, outcome, refusal, reason, seat, via, decided_at,
         environment
       FROM release_decisions WHERE release_id = $1 ORDER BY seq`,
      [id],
    ),
  ]);
  return {
    ...toReleaseRow(rows[0]),
    recordVersion: Number(rows[0].record_version),
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
    decisions: decisions.rows.map((row) => ({
      seq: row.seq,
      decisionId: row.decision_id,
      gateId: row.gate_id,
      actor: row.actor,
      roles: row.roles,
      decision: row.decision,
      ...(row.comment === null ? {} : { comment: row.comment }),
      at: (row.decided_at as Date).toISOString(),
      outcome: row.outcome,
      ...(row.refusal === null ? {} : { refusal: row.refusal }),
      ...(row.reason === null ? {} : { reason: row.reason }),
      ...(row.seat === null ? {} : { seat: row.seat }),
      via: row.via,
      ...(row.environment === null ? {} : { environment: row.environment }),
    })),
  };
}

/** The release's record version (see ReleaseDetail), or undefined when there is no such release. */
export async function releaseRecordVersion(pool: pg.Pool, id: string): Promise<number | undefined> {
  const { rows } = await pool.query('SELECT record_version FROM releases WHERE id = $1', [id]);
  return rows[0] ? Number(rows[0].record_version) : undefined;
}

export async function listReleases(pool: pg.Pool, filter: ReleaseFilter): Promise<ReleaseRow[]> {
  const { sql, values } = releaseQuery(RELEASE_COLUMNS, filter);
  return (await pool.query(sql, values)).rows.map(toReleaseRow);
}

function releaseQuery(columns: string, filter: ReleaseFilter): { sql: string; values: unknown[] } {
  const values: unknown[] = [filter.readableEnvironments];
  const conditions = ['environments && $1::text[]'];
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
  const sql = `SELECT ${columns} FROM releases WHERE ${conditions.join(' AND ')}
     ORDER BY created_at DESC LIMIT $${values.length}`;
  return { sql, values };
}

/**
 * What a release list shows of each release, and what deciding its visibility needs: the plan's and
 * the rollback plan's entries reduced to where each runs — only for a failed release, whose failure
 * names one of them. The plan itself (tens of kilobytes a release) is not read.
 */
export type ReleaseSummaryRow = Pick<
  ReleaseRow,
  | 'id'
  | 'runId'
  | 'type'
  | 'service'
  | 'version'
  | 'changeRef'
  | 'configChange'
  | 'requestedBy'
  | 'status'
  | 'currentStep'
  | 'currentEnvironment'
  | 'failure'
  | 'environments'
  | 'claimedAt'
  | 'temporalUrl'
  | 'createdAt'
  | 'updatedAt'
  | 'finishedAt'
> & {
  plan: { steps: PlacedEntry[] };
  rollbackPlan: PlacedEntry[];
};

/** A plan step or compensation, as far as visibility goes: which environment it belongs to. */
export interface PlacedEntry {
  id: string;
  environment: string;
}

const placed = (entries: string) => `CASE WHEN failure IS NULL THEN '[]'::jsonb ELSE
  (SELECT coalesce(jsonb_agg(jsonb_build_object('id', e->'id', 'environment', e->'environment')), '[]'::jsonb)
     FROM jsonb_array_elements(${entries}) e) END`;

/** A list row's columns (the baseline of the read benchmark reads them too). */
export const SUMMARY_COLUMNS = `id, run_id, type, service, version, change_ref, config_change, requested_by, status,
  current_step, current_environment, failure, environments, claimed_at, temporal_url, created_at, updated_at,
  finished_at, ${placed("runbook->'steps'")} AS placed_steps, ${placed("coalesce(rollback_plan, '[]'::jsonb)")} AS placed_compensations`;

function toSummaryRow(row: Record<string, unknown>): ReleaseSummaryRow {
  return {
    ...summaryFields(row),
    plan: { steps: row.placed_steps as PlacedEntry[] },
    rollbackPlan: row.placed_compensations as PlacedEntry[],
  };
}

/** Newest first, as GET /releases lists them. */
export async function listReleaseSummaries(
  pool: pg.Pool,
  filter: ReleaseFilter,
): Promise<ReleaseSummaryRow[]> {
  const { sql, values } = releaseQuery(SUMMARY_COLUMNS, filter);
  return (await pool.query(sql, values)).rows.map(toSummaryRow);
}

/** Records still open: what start-up reconciliation compares with Temporal. */
export async function listUnfinished(pool: pg.Pool, limit = 500): Promise<ReleaseRow[]> {
  const { rows } = await pool.query(
    `SELECT ${RELEASE_COLUMNS} FROM releases WHERE finished_at IS NULL ORDER BY created_at LIMIT $1`,
    [limit],
  );
  return rows.map(toReleaseRow);
}

/** The Runway release that put `version` in `environment`, as far as the records know. */
export interface DeployingRelease {
  id: string;
  type: ReleaseType;
  finishedAt: Date | null;
}

/**
 * The newest release of `service` that ended its production work well and whose deploy step put
 * `version` in `environment`; undefined when Runway did not deploy it (a change made by hand).
 */
export async function findDeployingRelease(
  pool: pg.Pool,
  service: string,
  environment: string,
  version: string,
): Promise<DeployingRelease | undefined> {
  const { rows } = await pool.query(
    `SELECT r.id, r.type, r.finished_at FROM releases r
      WHERE r.service = $1 AND r.version = $3 AND r.status IN ('succeeded', 'awaiting-docs')
        AND EXISTS (SELECT 1 FROM release_steps s
                     WHERE s.release_id = r.id AND s.kind = 'deploy' AND s.environment = $2 AND s.status = 'succeeded')
      ORDER BY COALESCE(r.finished_at, r.updated_at) DESC
      LIMIT 1`,
    [service, environment, version],
  );
  const row = rows[0];
  return row
    ? { id: row.id as string, type: row.type as ReleaseType, finishedAt: row.finished_at as Date | null }
    : undefined;
}
