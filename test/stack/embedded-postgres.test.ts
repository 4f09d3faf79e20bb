import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase, migrationsDir } from '../../db/migrate-database.js';
import { startEmbeddedPostgres } from '../../stack/embedded-postgres.js';
import { getFreePort } from '../../stack/free-port.js';
import { createPrivateCheckout } from './fixtures/private-checkout.js';

async function query<T extends pg.QueryResultRow>(
  connectionString: string,
  sql: string,
  values: unknown[] = [],
) {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

describe('embedded PostgreSQL with migrations', () => {
  let dir: string;
  const extraDirs: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runway-postgres-test-'));
  });

  afterAll(async () => {
    for (const path of [dir, ...extraDirs]) if (path) await rm(path, { recursive: true, force: true });
  });

  it('migrates a new database once and keeps its data across stop and a start past a stale lock file', async () => {
    const dataDir = join(dir, 'cluster');
    const port = await getFreePort();
    const started = Date.now();
    const first = await startEmbeddedPostgres({ dataDir, port, database: 'runway_test' });
    console.info(`PostgreSQL initialised and started in ${Date.now() - started} ms`);
    try {
      expect(first.dataDir).toBe(dataDir);
      // Every migration in db/migrations, in order (the first two are those the records below need).
      const migrations = (await readdir(migrationsDir)).map((file) => file.replace(/\.[a-z]+$/, '')).sort();
      expect(migrations.slice(0, 2)).toEqual([
        expect.stringMatching(/^\d+_release-records$/),
        expect.stringMatching(/^\d+_release-lock-and-decisions$/),
      ]);
      expect(await migrateDatabase(first.connectionString)).toEqual(migrations);
      expect(await migrateDatabase(first.connectionString)).toEqual([]);

      const tables = await query<{ table_name: string }>(
        first.connectionString,
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
      );
      expect(tables.map((t) => t.table_name)).toEqual(
        expect.arrayContaining(['pgmigrations', 'release_decisions', 'release_steps', 'releases']),
      );

      await query(
        first.connectionString,
        `INSERT INTO releases (id, type, service, version, requested_by, status, runbook)
         VALUES ($1, 'regular', 'edm-web', '1.4.0', 'alice', 'running', $2)`,
        ['release-edm-web-1', JSON.stringify({ steps: [] })],
      );
      await query(
        first.connectionString,
        `INSERT INTO release_steps (release_id, step_id, name, kind, status, started_at)
         VALUES ($1, 'deploy-staging', 'Deploy to staging', 'deploy', 'succeeded', now())`,
        ['release-edm-web-1'],
      );
      await expect(
        query(
          first.connectionString,
          `INSERT INTO releases (id, type, service, version, requested_by, status, runbook)
           VALUES ('bad', 'yolo', 'edm-web', '1', 'bob', 'running', '{}')`,
        ),
      ).rejects.toThrow(/releases_type_check/);
    } finally {
      await first.stop();
    }

    // A lock file left by a postmaster that was killed, whose pid now belongs to another program.
    const stranger = spawn('sleep', ['30'], { stdio: 'ignore' });
    await writeFile(join(dataDir, 'postmaster.pid'), `${stranger.pid}\n${dataDir}\n`);
    const restarted = Date.now();
    const second = await startEmbeddedPostgres({ dataDir, port, database: 'runway_test' }).finally(() =>
      stranger.kill(),
    );
    console.info(`PostgreSQL restarted in ${Date.now() - restarted} ms`);
    try {
      expect(await migrateDatabase(second.connectionString)).toEqual([]);
      const rows = await query<{ id: string; steps: string }>(
        second.connectionString,
        `SELECT r.id, count(s.step_id)::text AS steps FROM releases r
         LEFT JOIN release_steps s ON s.release_id = r.id GROUP BY r.id`,
      );
      expect(rows).toEqual([{ id: 'release-edm-web-1', steps: '1' }]);
    } finally {
      await second.stop();
    }
  });

  it('upgrades v1 records: approvals become counted decisions, open releases keep their service lock', async () => {
    const port = await getFreePort();
    const server = await startEmbeddedPostgres({
      dataDir: join(dir, 'upgrade'),
      port,
      database: 'upgrade_test',
    });
    try {
      const { runner } = await import('node-pg-migrate');
      const migrate = (count: number) =>
        runner({
          databaseUrl: server.connectionString,
          dir: migrationsDir,
          direction: 'up',
          count,
          migrationsTable: 'pgmigrations',
          logger: { info() {}, warn() {}, error() {} },
        });
      await migrate(1);
      const plan = {
        steps: [
          { id: 'deploy-test', environment: 'test' },
          { id: 'gate', environment: 'production' },
        ],
      };
      await query(
        server.connectionString,
        `INSERT INTO releases (id, type, service, version, requested_by, status, runbook)
         VALUES ('r1', 'regular', 'edm-web', '1.4.0', 'ops-wang', 'awaiting-approval', $1)`,
        [JSON.stringify(plan)],
      );
      await query(
        server.connectionString,
        `INSERT INTO release_approvals (release_id, gate_id, approver, roles, decision, decided_at)
         VALUES ('r1', 'gate', 'pm-li', '{read,pm}', 'approve', now())`,
      );
      await migrateDatabase(server.connectionString);
      expect(
        await query(server.connectionString, 'SELECT holds_lock, environments FROM releases WHERE id = $1', [
          'r1',
        ]),
      ).toEqual([{ holds_lock: true, environments: ['test', 'production'] }]);
      expect(
        await query(server.connectionString, 'SELECT seq, actor, decision, outcome FROM release_decisions'),
      ).toEqual([{ seq: 1, actor: 'pm-li', decision: 'approve', outcome: 'counted' }]);
      await expect(
        query(
          server.connectionString,
          `INSERT INTO releases (id, type, service, version, requested_by, status, runbook, holds_lock)
           VALUES ('r2', 'regular', 'edm-web', '1.5.0', 'ops-wang', 'running', '{}', true)`,
        ),
      ).rejects.toThrow(/releases_service_lock_idx/);
    } finally {
      await server.stop();
    }
  });

  it('refuses a data folder made by another PostgreSQL major version, naming both and what to do', async () => {
    const dataDir = join(dir, 'other-major');
    await mkdir(dataDir, { recursive: true });
    await writeFile(join(dataDir, 'PG_VERSION'), '18\n');
    await expect(
      startEmbeddedPostgres({ dataDir, port: await getFreePort(), database: 'never' }),
    ).rejects.toThrow(
      /holds a PostgreSQL 18 cluster, but the embedded PostgreSQL is version 15.*move the folder away/s,
    );
  });

  it('rolls the migrations back cleanly', async () => {
    const port = await getFreePort();
    const server = await startEmbeddedPostgres({ dataDir: join(dir, 'down'), port, database: 'down_test' });
    try {
      await migrateDatabase(server.connectionString);
      const { runner } = await import('node-pg-migrate');
      await runner({
        databaseUrl: server.connectionString,
        dir: migrationsDir,
        direction: 'down',
        count: Number.POSITIVE_INFINITY,
        migrationsTable: 'pgmigrations',
        logger: { info() {}, warn() {}, error() {} },
      });
      const tables = await query<{ table_name: string }>(
        server.connectionString,
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
      );
      expect(tables.map((t) => t.table_name)).toEqual(['pgmigrations']);
    } finally {
      await server.stop();
    }
  });

  it.runIf(process.getuid?.() === 0)(
    'as root, moves the data to the temp dir when the postgres user cannot reach the data dir',
    async () => {
      // A folder outside the project and the temp dir that only root may enter, as a 0700 home is.
      const locked = join('/var/tmp', `runway-locked-${process.pid}`);
      extraDirs.push(locked);
      await mkdir(locked, { recursive: true });
      await chmod(locked, 0o700);
      const server = await startEmbeddedPostgres({
        dataDir: join(locked, 'cluster'),
        port: await getFreePort(),
        database: 'fallback_test',
      });
      // The fallback folder is <tmp>/runway-postgres-<hash>/cluster.
      extraDirs.push(dirname(server.dataDir));
      try {
        expect(server.dataDir.startsWith(tmpdir())).toBe(true);
        expect(await query(server.connectionString, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
      } finally {
        await server.stop();
      }
    },
  );

  it.runIf(process.getuid?.() === 0)(
    'as root, runs from a checkout inside a private (0700) home folder: from a copy of the binaries the postgres user can reach',
    async () => {
      const checkout = await createPrivateCheckout();
      extraDirs.push(dirname(checkout.dir));
      // A file of its own makes the binaries' content hash, and so their copy, this test's alone.
      await writeFile(
        join(checkout.postgresNativeDir, 'share', `runway-test-${process.pid}`),
        `${Date.now()}`,
      );
      await writeFile(
        join(checkout.dir, 'postgres-check.ts'),
        `import { readlinkSync } from 'node:fs';
         import { startEmbeddedPostgres } from './stack/embedded-postgres.js';
         const server = await startEmbeddedPostgres({
           dataDir: process.argv[2], port: Number(process.argv[3]), database: 'private_checkout',
         });
         const executable = readlinkSync('/proc/' + server.pid + '/exe');
         await server.stop();
         console.log(JSON.stringify({ dataDir: server.dataDir, executable }));`,
      );
      const dataDir = join(checkout.dir, '.runway', 'postgres');
      const run = await execa(
        process.execPath,
        ['--import', 'tsx', 'postgres-check.ts', dataDir, String(await getFreePort())],
        { cwd: checkout.dir, reject: false, timeout: 60_000 },
      );
      expect(run.stderr).toBe('');
      expect(run.exitCode).toBe(0);
      const { dataDir: usedDataDir, executable } = JSON.parse(run.stdout) as Record<string, string>;
      // /root is not ours to open, so the data goes to the temp dir, and so do the binaries.
      extraDirs.push(dirname(usedDataDir as string));
      expect(usedDataDir?.startsWith(tmpdir())).toBe(true);
      const copy = dirname(dirname(executable as string));
      extraDirs.push(copy);
      expect(basename(copy)).toMatch(/^runway-postgres-bin-\d[\w.-]*-[0-9a-f]{16}$/);
      expect(dirname(copy)).toBe(tmpdir());
      const stats = await stat(copy);
      expect([stats.uid, stats.mode & 0o777]).toEqual([0, 0o755]);
      expect(await readdir(copy)).toEqual(expect.arrayContaining(['bin', 'lib', 'share']));
      // Nothing half-copied is left beside it.
      expect((await readdir(tmpdir())).filter((name) => name.startsWith(`${basename(copy)}.`))).toEqual([]);
    },
  );
});
