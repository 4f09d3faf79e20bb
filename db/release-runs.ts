// Which Temporal run acts for a release (the trust boundary): the record binds one run — the one the
// API started, bound when its workflow claims the record (or the API learns its id) — and the
// worker's run authority reads it with the plan the API resolved before the start.
import type pg from 'pg';
import type { ReleasePlan } from '../workflows/release-model.js';
import type { WorkflowType } from './release-records.js';

export interface ReleaseRun {
  runId: string | null;
  workflowType: WorkflowType;
  service: string;
  environments: string[];
  plan: ReleasePlan;
}

export async function findReleaseRun(pool: pg.Pool, releaseId: string): Promise<ReleaseRun | undefined> {
  const { rows } = await pool.query(
    'SELECT run_id, workflow_type, service, environments, runbook FROM releases WHERE id = $1',
    [releaseId],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    runId: row.run_id as string | null,
    workflowType: row.workflow_type as WorkflowType,
    service: row.service as string,
    environments: row.environments as string[],
    plan: row.runbook as ReleasePlan,
  };
}

/** Binds `runId` to a release that has none yet (one started before runs were bound); never rebinds. */
export async function bindRunIfUnbound(pool: pg.Pool, releaseId: string, runId: string): Promise<void> {
  await pool.query('UPDATE releases SET run_id = $2 WHERE id = $1 AND run_id IS NULL', [releaseId, runId]);
}
