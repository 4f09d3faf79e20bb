// The connection pool every Runway process uses.
import pg from 'pg';
import type { Logger } from '../logging/logger.js';

export function createPool(connectionString: string, logger: Logger, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  // An idle client whose server went away (a restart, Ctrl-C reaching PostgreSQL first) emits
  // 'error'; unhandled, that would kill the process. The pool replaces the client on next use.
  pool.on('error', (error) => logger.warn({ err: error.message }, 'idle database connection lost'));
  return pool;
}
