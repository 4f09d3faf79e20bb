// The baseline's one activity: spawn the no-op command Runway's steps run, and write one row about
// it to PostgreSQL, as Runway writes its step records.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type pg from 'pg';
import { NOOP_ARGV } from './engine-runbook.js';

const run = promisify(execFile);

export const BARE_STEPS_TABLE = 'bench_engine_bare_steps';

export async function createBareStepsTable(pool: pg.Pool): Promise<void> {
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${BARE_STEPS_TABLE} (
       run_id text NOT NULL, step integer NOT NULL, duration_ms double precision NOT NULL,
       finished_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (run_id, step))`,
  );
}

export function createBareStepActivities(pool: pg.Pool) {
  return {
    async runNoopStep(input: { runId: string; step: number }): Promise<void> {
      const [file, ...args] = NOOP_ARGV as [string, ...string[]];
      const started = performance.now();
      await run(file, args);
      await pool.query(`INSERT INTO ${BARE_STEPS_TABLE} (run_id, step, duration_ms) VALUES ($1, $2, $3)`, [
        input.runId,
        input.step,
        performance.now() - started,
      ]);
    },
  };
}

export type BareStepActivities = ReturnType<typeof createBareStepActivities>;
