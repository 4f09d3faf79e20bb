// "No half-started release" (R-INPUT), checked after a fuzz run: PostgreSQL and Temporal agree on
// every release, and no refused request left a record or an idempotency key behind.
import type { Client } from '@temporalio/client';
import type pg from 'pg';

interface RecordRow {
  id: string;
  status: string;
  claimed: boolean;
  finished: boolean;
}

async function releaseRecords(pool: pg.Pool): Promise<RecordRow[]> {
  const { rows } = await pool.query<RecordRow>(
    `SELECT id, status, claimed_at IS NOT NULL AS claimed, finished_at IS NOT NULL AS finished FROM releases`,
  );
  return rows;
}

/** The workflow types that are releases; others (asking a target what it runs) keep no record. */
const RELEASE_WORKFLOW_TYPES: readonly string[] = ['releaseWorkflowV2', 'releaseWorkflow'];

/** Every release workflow in the namespace: the stack is the fuzz run's own, so each one is Runway's. */
async function workflows(client: Client): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for await (const execution of client.workflow.list()) {
    if (RELEASE_WORKFLOW_TYPES.includes(execution.type))
      found.set(execution.workflowId, execution.status.name);
  }
  return found;
}

async function idempotencyProblems(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ identity: string; key: string; release_id: string; state: string }>(
    `SELECT k.identity, k.key, k.release_id, k.state FROM api_idempotency_keys k
     WHERE k.state = 'in-progress' OR NOT EXISTS (SELECT 1 FROM releases r WHERE r.id = k.release_id)`,
  );
  return rows.map((row) =>
    row.state === 'in-progress'
      ? `idempotency key of ${row.identity} is still in progress for ${row.release_id}`
      : `idempotency key of ${row.identity} names ${row.release_id}, which has no record`,
  );
}

/** The disagreements between records and workflows, as sentences; none when consistent. */
export async function releaseConsistencyProblems(pool: pg.Pool, client: Client): Promise<string[]> {
  const [records, executions] = await Promise.all([releaseRecords(pool), workflows(client)]);
  const problems: string[] = [];
  const recorded = new Set(records.map((record) => record.id));
  for (const record of records) {
    const execution = executions.get(record.id);
    if (!execution) {
      problems.push(`release ${record.id} (${record.status}) has a record but no workflow in Temporal`);
    } else if (!record.claimed && !record.finished) {
      problems.push(`release ${record.id} was never claimed by its workflow (${execution})`);
    } else if (!record.finished && execution !== 'RUNNING') {
      problems.push(`release ${record.id} is open (${record.status}) but its workflow is ${execution}`);
    } else if (record.finished && execution === 'RUNNING') {
      problems.push(`release ${record.id} is closed (${record.status}) but its workflow still runs`);
    }
  }
  for (const [id, status] of executions) {
    if (!recorded.has(id)) problems.push(`workflow ${id} (${status}) has no release record`);
  }
  return [...problems, ...(await idempotencyProblems(pool))];
}

/**
 * Waits for in-flight writes (a workflow's first claim, its last record write, visibility) to land,
 * then reports what still disagrees.
 */
export async function settledConsistencyProblems(
  pool: pg.Pool,
  client: Client,
  settleMs = 30_000,
): Promise<string[]> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    const problems = await releaseConsistencyProblems(pool, client);
    if (problems.length === 0 || Date.now() >= deadline) return problems;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
