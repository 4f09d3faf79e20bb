// edm-db, edm-web's migration tool (R-RB-DB), run as a release runs it: a process with the database
// in DATABASE_URL, against a real PostgreSQL. A migration failing half-way leaves nothing behind.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationsCarriedBy } from '../../demo/edm-web/schema-migrations.js';
import { type RunningPostgres, startEmbeddedPostgres } from '../../stack/embedded-postgres.js';
import { getFreePort } from '../../stack/free-port.js';
import { REPO_ROOT } from './support.js';

let dir: string;
let postgres: RunningPostgres;
let databaseUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runway-edm-db-'));
  postgres = await startEmbeddedPostgres({
    dataDir: join(dir, 'postgres'),
    port: await getFreePort(),
    database: 'edm_web_test',
  });
  databaseUrl = postgres.connectionString;
});

afterAll(async () => {
  await postgres?.stop();
  if (postgres && postgres.dataDir !== join(dir, 'postgres'))
    await rm(postgres.dataDir, { recursive: true, force: true });
  if (dir) await rm(dir, { recursive: true, force: true });
});

function edmDb(args: string[], env: Record<string, string> = { DATABASE_URL: databaseUrl }) {
  return execa(process.execPath, ['--import', 'tsx', 'demo/bin/edm-db.ts', ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    extendEnv: false,
    reject: false,
    timeout: 30_000,
  });
}

async function json(args: string[]): Promise<Record<string, unknown>> {
  const result = await edmDb(args);
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

async function query<T extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** The demo schema as information_schema has it: table → its columns. */
async function schema(): Promise<Record<string, string[]>> {
  const rows = await query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name <> 'pgmigrations' ORDER BY table_name, ordinal_position`,
  );
  const tables: Record<string, string[]> = {};
  for (const row of rows) tables[row.table_name] = [...(tables[row.table_name] ?? []), row.column_name];
  return tables;
}

describe('which migrations a version carries', () => {
  it('those since its version, build metadata aside, and the fault migration a +migration-fails build names', () => {
    expect(migrationsCarriedBy('0.9.0')).toEqual([]);
    expect(migrationsCarriedBy('1.0.0')).toEqual(['001-campaigns']);
    expect(migrationsCarriedBy('1.1.7+slow')).toEqual(['001-campaigns', '002-campaign-schedule']);
    expect(migrationsCarriedBy('1.2.0-rc.1')).toEqual(['001-campaigns', '002-campaign-schedule']);
    expect(migrationsCarriedBy('1.3.0')).toEqual([
      '001-campaigns',
      '002-campaign-schedule',
      '003-unsubscribes',
    ]);
    expect(migrationsCarriedBy('1.2.0+migration-fails')).toEqual([
      '001-campaigns',
      '002-campaign-schedule',
      '003-unsubscribes',
      '900-half-way-failure',
    ]);
    expect(() => migrationsCarriedBy('latest')).toThrow(/not a semantic version/);
  });
});

describe('edm-db against a real PostgreSQL', () => {
  it('migrates up to what a version carries, once; status says where the database stands', async () => {
    expect(await json(['status'])).toEqual({ migrationId: null, applied: [] });
    expect(await json(['up', '--version', '1.1.0'])).toEqual({
      migrationId: '002-campaign-schedule',
      applied: ['001-campaigns', '002-campaign-schedule'],
      ran: ['001-campaigns', '002-campaign-schedule'],
    });
    // Idempotent: a retried call changes nothing.
    expect(await json(['up', '--version', '1.1.0'])).toMatchObject({
      migrationId: '002-campaign-schedule',
      ran: [],
    });
    expect(await schema()).toEqual({
      campaigns: ['id', 'name', 'subject', 'created_at', 'scheduled_at'],
    });
  });

  it('a migration failing half-way leaves nothing behind: not its own changes, not those run with it', async () => {
    await query(`INSERT INTO campaigns (name, subject) VALUES ('spring-sale', 'Spring is here')`);
    const before = await schema();
    const failed = await edmDb(['up', '--version', '1.2.0+migration-fails']);
    // 4: the migration's SQL failed, which no retry mends.
    expect(failed.exitCode).toBe(4);
    expect(failed.stderr).toContain('campaign archive: found campaigns that cannot be archived');
    expect(failed.stderr).toContain('nothing of this run was applied');
    // 003 ran first in the same transaction, and the fault migration created a table and a column.
    expect(failed.stderr).toContain('MIGRATION 003-unsubscribes (UP)');
    expect(await json(['status'])).toEqual({
      migrationId: '002-campaign-schedule',
      applied: ['001-campaigns', '002-campaign-schedule'],
    });
    expect(await schema()).toEqual(before);
    expect(await query('SELECT name FROM campaigns')).toEqual([{ name: 'spring-sale' }]);
  });

  it('migrates down to an id, keeping rows written under the older schema; down to the current id is a no-op', async () => {
    expect(await json(['up', '--version', '1.2.0'])).toMatchObject({ ran: ['003-unsubscribes'] });
    expect(Object.keys(await schema()).sort()).toEqual(['campaigns', 'unsubscribes']);
    expect(await json(['down', '--to', '002-campaign-schedule'])).toEqual({
      migrationId: '002-campaign-schedule',
      applied: ['001-campaigns', '002-campaign-schedule'],
      ran: ['003-unsubscribes'],
    });
    expect(await schema()).toEqual({ campaigns: ['id', 'name', 'subject', 'created_at', 'scheduled_at'] });
    expect(await query('SELECT name FROM campaigns')).toEqual([{ name: 'spring-sale' }]);
    expect(await json(['down', '--to', '002-campaign-schedule'])).toMatchObject({ ran: [] });

    const unknown = await edmDb(['down', '--to', '003-unsubscribes']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('migration 003-unsubscribes is not applied');

    expect(await json(['down', '--to', 'none'])).toMatchObject({ migrationId: null, applied: [] });
    expect(await schema()).toEqual({});
  });

  it('takes the database only from DATABASE_URL, and says so when it is missing', async () => {
    const missing = await edmDb(['status'], {});
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('DATABASE_URL is not set');
    const usage = await edmDb(['up']);
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr).toContain('up needs --version');
  });
});
