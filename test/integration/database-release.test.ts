// R-RB-DB end to end through the API on the real stack: a release backs up edm-web's production
// database, migrates it, fails in production, and its compensation migrates the database back down;
// the rows written under the old schema are intact, what the release added is gone, and the backup
// it took restores with the restore script. A migration failing half-way leaves nothing to undo.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReleaseSchema } from '../../api/release-schemas.js';
import { BACKUP_KEYS_ENV } from '../../security/backup-cipher.js';
import { releaseApi } from '../support/release-api.js';
import { releaseWorkflowBundle } from '../support/release-workflow-bundle.js';
import { startTestStack, TEST_BACKUP_KEY_ENTRY, type TestStack } from '../support/runway-stack.js';

// Production only, so each release is a few seconds: the shipped regular runbook's migrate steps
// are the same kind of step in the other environments.
const RUNBOOK = `type: regular
description: Production with its database, for the database rollback tests.
steps:
  - { id: migrate-production, kind: migrate, environment: production }
  - { id: deploy-production, kind: deploy, environment: production }
  - { id: verify-production, kind: verify, environment: production, attempts: 2, intervalSeconds: 1 }
`;

let stack: TestStack;
let runbookDir: string;

beforeAll(async () => {
  runbookDir = await mkdtemp(join(tmpdir(), 'runway-db-runbooks-'));
  await writeFile(join(runbookDir, 'regular.yml'), RUNBOOK);
  stack = await startTestStack(await releaseWorkflowBundle(), { runbookDir });
});

afterAll(async () => {
  await stack?.stop();
  if (runbookDir) await rm(runbookDir, { recursive: true, force: true });
});

const { requestRelease, waitForStatus } = releaseApi(() => stack);

async function query<T extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

const production = () => stack.serviceDatabaseUrls.production as string;

async function columnsOf(url: string): Promise<string[]> {
  const rows = await query<{ c: string }>(
    url,
    `SELECT table_name || '.' || column_name AS c FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name <> 'pgmigrations' ORDER BY 1`,
  );
  return rows.map((row) => row.c);
}

async function appliedMigrations(url: string): Promise<string[]> {
  return (await query<{ name: string }>(url, 'SELECT name FROM pgmigrations ORDER BY id')).map(
    (row) => row.name,
  );
}

async function release(version: string, ends: string[]) {
  const started = await requestRelease(version);
  expect(started.status).toBe(201);
  return waitForStatus(ReleaseSchema.parse(started.body).id, ends, 60_000);
}

describe('a release with database migrations', () => {
  let schemaBefore: string[];

  it('backs up, then migrates production to what its version carries', async () => {
    const done = await release('1.1.0', ['succeeded', 'failed', 'rolled-back']);
    expect(done.status).toBe('succeeded');
    expect(await appliedMigrations(production())).toEqual(['001-campaigns', '002-campaign-schedule']);
    const migrate = done.steps.find((step) => step.id === 'migrate-production');
    expect(migrate?.detail).toMatchObject({
      migrationIdBefore: null,
      migrationIdAfter: '002-campaign-schedule',
      backupId: expect.stringMatching(/^bk-/),
      backupSizeBytes: expect.any(Number),
      backupDurationMs: expect.any(Number),
    });
    const detail = migrate?.detail as Record<string, number>;
    console.info(
      `migrate-production: backup ${detail.backupSizeBytes} bytes in ${detail.backupDurationMs} ms, migrations in ${detail.migrationDurationMs} ms`,
    );
    // Rows written under this schema, before the next release.
    await query(
      production(),
      `INSERT INTO campaigns (name, subject, scheduled_at) VALUES
         ('spring-sale', 'Spring is here', '2026-03-01T08:00:00Z'), ('newsletter-12', 'December news', NULL)`,
    );
    schemaBefore = await columnsOf(production());
  });

  it('fails in production and migrates production back down: old rows intact, new schema gone, backup restores', async () => {
    const failed = await release('1.2.0+failing', ['failed', 'rolled-back', 'succeeded']);
    expect(failed.status).not.toBe('succeeded');
    expect(failed.failure?.step).toBe('deploy-production');
    expect(failed.rollbackPlan.find((entry) => entry.id === 'migrate-production.down')).toMatchObject({
      status: 'done',
      action: {
        kind: 'migrate-down',
        migrationId: '002-campaign-schedule',
        fromMigrationId: '003-unsubscribes',
        backupId: expect.stringMatching(/^bk-/),
      },
    });
    expect(await appliedMigrations(production())).toEqual(['001-campaigns', '002-campaign-schedule']);
    const columns = await columnsOf(production());
    expect(columns).toEqual(schemaBefore);
    expect(columns).not.toContain('unsubscribes.email');
    expect(columns).not.toContain('campaigns.sender');
    expect(await query(production(), 'SELECT name, subject FROM campaigns ORDER BY id')).toEqual([
      { name: 'spring-sale', subject: 'Spring is here' },
      { name: 'newsletter-12', subject: 'December news' },
    ]);

    // The backup taken before migrating is kept with the release record and restores with standard tools.
    const backups = await query<{ id: string; migration_id: string; environment: string }>(
      stack.databaseUrl,
      'SELECT id, migration_id, environment FROM release_backups WHERE release_id = $1',
      [failed.id],
    );
    expect(backups).toEqual([
      { id: expect.any(String), migration_id: '002-campaign-schedule', environment: 'production' },
    ]);
    await query(stack.databaseUrl, 'CREATE DATABASE edm_web_restored');
    const target = new URL(stack.databaseUrl);
    target.pathname = '/edm_web_restored';
    const restored = await execa(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/restore-backup.ts',
        '--backup',
        backups[0]?.id as string,
        '--to',
        target.toString(),
      ],
      {
        cwd: join(import.meta.dirname, '../..'),
        env: { RUNWAY_DATABASE_URL: stack.appDatabaseUrl, [BACKUP_KEYS_ENV]: TEST_BACKUP_KEY_ENTRY },
        reject: false,
        timeout: 60_000,
      },
    );
    expect(restored.exitCode, restored.stderr).toBe(0);
    expect(await appliedMigrations(target.toString())).toEqual(['001-campaigns', '002-campaign-schedule']);
    expect(await query(target.toString(), 'SELECT name FROM campaigns ORDER BY id')).toEqual([
      { name: 'spring-sale' },
      { name: 'newsletter-12' },
    ]);
  });

  it('a migration failing half-way fails its step and leaves nothing: the undo finds nothing to do', async () => {
    const failed = await release('1.2.0+migration-fails', ['failed', 'rolled-back', 'succeeded']);
    expect(failed.status).not.toBe('succeeded');
    expect(failed.failure?.step).toBe('migrate-production');
    expect(failed.failure?.reason).toContain('campaign archive: found campaigns that cannot be archived');
    expect(failed.rollbackPlan.find((entry) => entry.id === 'migrate-production.down')).toMatchObject({
      status: 'done',
      detail: 'already at 002-campaign-schedule: nothing to migrate down',
    });
    expect(await columnsOf(production())).toEqual(schemaBefore);
    expect(await appliedMigrations(production())).toEqual(['001-campaigns', '002-campaign-schedule']);
  });
});
