// What the delivery metrics (R-METRICS) read of the release records: each release that changed a
// target in one environment since an instant, with the timings of its steps and of its rollback.
import type pg from 'pg';
import type { ReleaseStatus, ReleaseType, StepStatus } from '../workflows/release-model.js';

export interface DeliveryStepRow {
  environment: string;
  /** The plan step's kind, or `compensation` for an undo. */
  kind: string;
  status: StepStatus;
  startedAt: Date;
  finishedAt: Date | null;
}

export interface DeliveryRow {
  id: string;
  service: string;
  type: ReleaseType;
  status: ReleaseStatus;
  createdAt: Date;
  finishedAt: Date | null;
  updatedAt: Date;
  rollback: { startedAt: Date; finishedAt: Date | null } | null;
  /** Every step record of the release, in every environment, in the order they started. */
  steps: DeliveryStepRow[];
}

export interface DeliveryRowQuery {
  environment: string;
  /** Only releases with a step of these kinds in the environment that started at or after `since`. */
  changingKinds: readonly string[];
  since: Date;
  service?: string;
}

/**
 * Releases with a change step in the environment since `since`, up to now: those after the window
 * are read too, since a later deployment may be what restored the service after a failure in it.
 */
export async function listDeliveryRows(pool: pg.Pool, query: DeliveryRowQuery): Promise<DeliveryRow[]> {
  const releases = await pool.query(
    `SELECT id, service, type, status, created_at, finished_at, updated_at,
       (rollback->>'startedAt')::timestamptz AS rollback_started_at,
       (rollback->>'finishedAt')::timestamptz AS rollback_finished_at
     FROM releases r
     WHERE ($2::text IS NULL OR service = $2)
       AND EXISTS (SELECT 1 FROM release_steps s
                    WHERE s.release_id = r.id AND s.environment = $1 AND s.kind = ANY($3::text[])
                      AND s.started_at >= $4)
     ORDER BY created_at, id`,
    [query.environment, query.service ?? null, query.changingKinds, query.since],
  );
  if (releases.rows.length === 0) return [];
  const steps = await pool.query(
    `SELECT release_id, environment, kind, status, started_at, finished_at FROM release_steps
     WHERE release_id = ANY($1::text[]) ORDER BY started_at, step_id`,
    [releases.rows.map((row) => row.id)],
  );
  const stepsOf = new Map<string, DeliveryStepRow[]>();
  for (const row of steps.rows) {
    const list = stepsOf.get(row.release_id) ?? [];
    list.push({
      environment: row.environment,
      kind: row.kind,
      status: row.status,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
    });
    stepsOf.set(row.release_id, list);
  }
  return releases.rows.map((row) => ({
    id: row.id,
    service: row.service,
    type: row.type,
    status: row.status,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    updatedAt: row.updated_at,
    rollback: row.rollback_started_at
      ? { startedAt: row.rollback_started_at, finishedAt: row.rollback_finished_at }
      : null,
    steps: stepsOf.get(row.id) ?? [],
  }));
}
