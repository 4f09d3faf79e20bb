/**
 * The checks a release's checklist asks of a demo service instance (R-CHECKLIST), under /checks/:
 * each answers 200 when what it checks holds and 503 with the reason when it does not.
 *
 *   /checks/errors         its own error log: 5xx answers and failed background work of the last minute
 *   /checks/database       its own PostgreSQL (DATABASE_URL) answers a query
 *   /checks/key-functions  its key function, listing campaigns, works against its database
 *   /checks/performance    that query's slowest of five runs stays within EDM_QUERY_BUDGET_MS (200)
 *
 * Builds marked `+db-unreachable`, `+campaigns-broken`, `+slow-queries` and `+error-logs` fail one
 * of them for real: a connection to a closed port, a query naming a column that does not exist, a
 * query that sleeps in the database, background work that keeps failing. These paths report on the
 * instance rather than serve users: they never start the late faults' clock and are spared by them.
 */
import pg from 'pg';
import type { EdmInstance, Reply } from './edm-service.js';

export const CHECK_PATH_PREFIX = '/checks/';
export const isCheckPath = (path: string): boolean => path.startsWith(CHECK_PATH_PREFIX);

const ERROR_WINDOW_MS = 60_000;
const ERROR_LOG_SIZE = 100;
const DEFAULT_QUERY_BUDGET_MS = 200;
const QUERY_RUNS = 5;
/** A closed port: what a build pointed at the wrong database reaches. */
const UNREACHABLE_PORT = '1';
const FAILING_JOB_INTERVAL_MS = 250;

interface LoggedError {
  at: number;
  what: string;
}

/** The instance's recent errors, newest last: what an operator would grep its log for. */
export class ErrorLog {
  readonly #entries: LoggedError[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  noteAnswer(path: string, status: number): void {
    if (status >= 500) this.note(`GET ${path} answered ${status}`);
  }

  note(what: string): void {
    this.#entries.push({ at: this.now(), what });
    if (this.#entries.length > ERROR_LOG_SIZE) this.#entries.shift();
  }

  recent(): LoggedError[] {
    const since = this.now() - ERROR_WINDOW_MS;
    return this.#entries.filter((entry) => entry.at >= since);
  }
}

/** A `+error-logs` build's scheduler fails on every tick, as a job meeting a lock it cannot take would. */
export function startBackgroundWork(instance: EdmInstance, errorLog: ErrorLog): void {
  if (instance.behaviour !== 'error-logs') return;
  setInterval(
    () => errorLog.note('campaign scheduler: could not lock the send queue'),
    FAILING_JOB_INTERVAL_MS,
  ).unref();
}

function databaseUrlOf(instance: EdmInstance, env: NodeJS.ProcessEnv): string | undefined {
  const url = env.DATABASE_URL;
  if (!url || instance.behaviour !== 'db-unreachable') return url;
  const wrong = new URL(url);
  wrong.port = UNREACHABLE_PORT;
  return wrong.toString();
}

/** The key function's queries: the campaigns a marketer sees first (a slow build waits in the database first). */
function campaignQueries(instance: EdmInstance): string[] {
  const columns = instance.behaviour === 'campaigns-broken' ? 'id, name, audience_segment' : 'id, name';
  const list = `SELECT ${columns} FROM campaigns ORDER BY id LIMIT 20`;
  return instance.behaviour === 'slow-queries' ? ['SELECT pg_sleep(0.3)', list] : [list];
}

async function runAll(client: pg.Client, queries: string[]): Promise<number> {
  let rows = 0;
  for (const sql of queries) rows = (await client.query(sql)).rowCount ?? 0;
  return rows;
}

async function withDatabase<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 2_000,
    statement_timeout: 3_000,
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const passed = (body: Record<string, unknown>): Reply => ({ status: 200, body: { ok: true, ...body } });
const failed = (reason: string, body: Record<string, unknown> = {}): Reply => ({
  status: 503,
  body: { ok: false, reason, ...body },
});
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function slowestOf(client: pg.Client, queries: string[]): Promise<number> {
  let slowestMs = 0;
  for (let run = 0; run < QUERY_RUNS; run++) {
    const started = performance.now();
    await runAll(client, queries);
    slowestMs = Math.max(slowestMs, performance.now() - started);
  }
  return Math.round(slowestMs);
}

/** The answer to GET `path` under /checks/. */
export async function answerCheck(
  path: string,
  instance: EdmInstance,
  errorLog: ErrorLog,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Reply> {
  if (path === '/checks/errors') {
    const recent = errorLog.recent();
    const body = {
      windowSeconds: ERROR_WINDOW_MS / 1000,
      errors: recent.length,
      latest: recent.slice(-5).map((entry) => entry.what),
    };
    return recent.length === 0 ? passed(body) : failed(`${recent.length} errors in the last minute`, body);
  }
  const url = databaseUrlOf(instance, env);
  const known = ['/checks/database', '/checks/key-functions', '/checks/performance'];
  if (!known.includes(path)) return { status: 404, body: { error: `no check ${path}` } };
  if (!url) return failed('no database configured (DATABASE_URL is not set)');
  try {
    return await withDatabase(url, async (client) => {
      if (path === '/checks/database') {
        const { rows } = await client.query<{ database: string }>('SELECT current_database() AS database');
        return passed({ database: rows[0]?.database });
      }
      if (path === '/checks/key-functions') {
        const campaigns = await runAll(client, campaignQueries(instance));
        return passed({ function: 'list campaigns', campaigns });
      }
      const budgetMs = Number(env.EDM_QUERY_BUDGET_MS ?? DEFAULT_QUERY_BUDGET_MS);
      const slowestMs = await slowestOf(client, campaignQueries(instance));
      const body = { query: 'list campaigns', runs: QUERY_RUNS, slowestMs, budgetMs };
      return slowestMs <= budgetMs
        ? passed(body)
        : failed(`slowest query took ${slowestMs} ms, over ${budgetMs} ms`, body);
    });
  } catch (error) {
    errorLog.note(`${path}: ${message(error)}`);
    return failed(message(error));
  }
}
