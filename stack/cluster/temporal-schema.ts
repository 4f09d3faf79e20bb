// Creates the Temporal server's two databases on PostgreSQL and brings their schemas up to the
// version the built server ships, with the server's own schema tool. Running it again only applies
// what is new (after a server upgrade, say).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import type { ServerBinaries } from './server-binaries.js';
import { TEMPORAL_DATABASES } from './temporal-node-config.js';

export interface TemporalDatabaseLogin {
  host: string;
  port: number;
  user: string;
  password: string;
}

function runSqlTool(binaries: ServerBinaries, login: TemporalDatabaseLogin, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binaries.sqlTool, args, {
      env: {
        PATH: process.env.PATH,
        SQL_PLUGIN: 'postgres12',
        SQL_HOST: login.host,
        SQL_PORT: String(login.port),
        SQL_USER: login.user,
        SQL_PASSWORD: login.password,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`temporal-sql-tool ${args.join(' ')} exited with ${code}:\n${output}`)),
    );
  });
}

async function hasSchema(login: TemporalDatabaseLogin, database: string): Promise<boolean | undefined> {
  const client = new pg.Client({ ...login, database });
  try {
    await client.connect();
  } catch (error) {
    if ((error as { code?: string }).code === '3D000') return undefined; // no such database
    throw error;
  }
  try {
    const { rows } = await client.query(`SELECT to_regclass('public.schema_version') IS NOT NULL AS present`);
    return rows[0].present as boolean;
  } finally {
    await client.end();
  }
}

/** Both databases exist and carry the server's current schema. */
export async function setUpTemporalSchemas(
  binaries: ServerBinaries,
  login: TemporalDatabaseLogin,
): Promise<void> {
  for (const [kind, database] of Object.entries(TEMPORAL_DATABASES)) {
    const present = await hasSchema(login, database);
    if (present === undefined) await runSqlTool(binaries, login, ['--db', database, 'create-database']);
    if (!present) await runSqlTool(binaries, login, ['--db', database, 'setup-schema', '-v', '0.0']);
    const versioned = join(binaries.schemaDir, kind === 'default' ? 'temporal' : 'visibility', 'versioned');
    await runSqlTool(binaries, login, ['--db', database, 'update-schema', '-d', versioned]);
  }
}
