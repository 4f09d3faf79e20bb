// /readyz: ready when the API can reach PostgreSQL and Temporal (and, in one process with a worker,
// when that worker runs).
import type { Connection } from '@temporalio/client';
import type pg from 'pg';

export function readinessCheck(deps: {
  pool: pg.Pool;
  connection: Connection;
  workerRunning?: () => boolean;
}) {
  return async (): Promise<{ ok: boolean; checks: Record<string, boolean>; down: string[] }> => {
    const checks: Record<string, boolean> = {
      database: await deps.pool.query('SELECT 1').then(
        () => true,
        () => false,
      ),
      temporal: await deps.connection.healthService.check({}).then(
        () => true,
        () => false,
      ),
    };
    if (deps.workerRunning) checks.worker = deps.workerRunning();
    const down = Object.keys(checks).filter((name) => !checks[name]);
    return { ok: down.length === 0, checks, down };
  };
}
