// The connection pool every Runway process uses.
import pg from 'pg';
import type { Logger } from '../logging/logger.js';
import { registerSecret } from '../logging/secret-values.js';

/** Errors that mean "the database is not reachable now", not "this request is wrong". */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
]);

export function isDatabaseUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED/.test(message);
}

/** The password in a connection string is a secret: log lines are scrubbed of it. */
function registerPassword(connectionString: string): void {
  try {
    registerSecret(decodeURIComponent(new URL(connectionString).password));
  } catch {
    // Not a URL (a key=value string): pg reports it when connecting.
  }
}

export function createPool(connectionString: string, logger: Logger, max = 10): pg.Pool {
  registerPassword(connectionString);
  // A database that does not answer fails a request within seconds (the API answers 503) rather
  // than holding it for ever.
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 5_000 });
  // An idle client whose server went away (a restart, Ctrl-C reaching PostgreSQL first) emits
  // 'error'; unhandled, that would kill the process. The pool replaces the client on next use.
  pool.on('error', (error) => logger.warn({ err: error.message }, 'idle database connection lost'));
  return pool;
}
