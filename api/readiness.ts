// /readyz: ready when the API can reach PostgreSQL and Temporal (and, in one process with a worker,
// when that worker runs).
import type { Connection } from '@temporalio/client';
import type pg from 'pg';

export function readinessCheck(deps: {
  pool: pg.Pool;
  connection: Connection;
  workerRunning?: () => boolean;
  /** The release calendar: how long it can still answer (said, never a reason to be unready). */
  calendars?: { effectiveUntil(): Promise<Date | null> };
}) {
  return async (): Promise<{
    ok: boolean;
    checks: Record<string, boolean>;
    down: string[];
    calendar?: { effectiveUntil: string | null };
  }> => {
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
    const effectiveUntil = await deps.calendars?.effectiveUntil().catch(() => null);
    return {
      ok: down.length === 0,
      checks,
      down,
      ...(deps.calendars ? { calendar: { effectiveUntil: effectiveUntil?.toISOString() ?? null } } : {}),
    };
  };
}
