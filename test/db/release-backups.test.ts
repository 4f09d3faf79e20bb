// Release backups (R-RB-DB) with the real tools: pg_dump of a service database, encrypted and kept
// in Runway's PostgreSQL, restored with the restore script (pg_restore) into a fresh database.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { execa } from 'execa';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPgTool, PgToolError, pgToolFor } from '../../db/pg-client-tools.js';
import { findBackup, readBackupCiphertext, takeBackup } from '../../db/release-backups.js';
import { migrateUp } from '../../demo/edm-web/schema-migrations.js';
import {
  BACKUP_KEYS_ENV,
  BackupDecryptionError,
  CHUNK_BYTES,
  createBackupDecryptor,
  createBackupEncryptor,
  loadBackupKeys,
} from '../../security/backup-cipher.js';
import { generatePayloadKeyEntry, PAYLOAD_KEYS_ENV } from '../../security/payload-codec.js';
import { type MigratedDatabase, startMigratedDatabase } from '../support/migrated-database.js';

const ROOT = join(import.meta.dirname, '../..');
const MARKER = 'Autumn sale for loyal-customer-7f3a';
const KEY_ENTRY = generatePayloadKeyEntry('backup-1');

let database: MigratedDatabase;
let app: pg.Pool;
let dir: string;
const serviceUrl = (name: string) => {
  const url = new URL(database.ownerUrl);
  url.pathname = `/${name}`;
  return url.toString();
};

async function ownerQuery(sql: string, url = database.ownerUrl) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runway-backups-'));
  database = await startMigratedDatabase();
  app = new pg.Pool({ connectionString: database.appUrl, max: 2 });
  app.on('error', () => {});
  await ownerQuery('CREATE DATABASE edm_web_test');
  await migrateUp(serviceUrl('edm_web_test'), '1.2.0', () => {});
  await ownerQuery(
    `INSERT INTO campaigns (name, subject) VALUES ('autumn', '${MARKER}'), ('winter', 'Snow deals')`,
    serviceUrl('edm_web_test'),
  );
  await app.query(
    `INSERT INTO releases (id, type, service, version, requested_by, status, runbook)
     VALUES ('edm-web-regular-1.2.0-b', 'regular', 'edm-web', '1.2.0', 'ops-wang', 'running', '{}')`,
  );
});

afterAll(async () => {
  await app?.end();
  await database?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const subject = {
  releaseId: 'edm-web-regular-1.2.0-b',
  stepId: 'migrate-test',
  service: 'edm-web',
  environment: 'test',
  migrationId: '003-unsubscribes',
};

function restoreScript(args: string[], keys = KEY_ENTRY) {
  return execa(process.execPath, ['--import', 'tsx', 'scripts/restore-backup.ts', ...args], {
    cwd: ROOT,
    env: { RUNWAY_DATABASE_URL: database.appUrl, [BACKUP_KEYS_ENV]: keys },
    reject: false,
    timeout: 60_000,
  });
}

describe('a release backup', () => {
  let backupId: string;

  it('is taken with pg_dump, stored encrypted: the ciphertext holds none of the rows', async () => {
    const progress: number[] = [];
    const { backup, reused } = await takeBackup({
      pool: app,
      pgDump: await pgToolFor('pg_dump', serviceUrl('edm_web_test')),
      databaseUrl: serviceUrl('edm_web_test'),
      keys: loadBackupKeys({ [BACKUP_KEYS_ENV]: KEY_ENTRY }),
      subject,
      onProgress: (bytes) => progress.push(bytes),
      // Uncompressed, so the plain dump holds the rows' text and its absence from the ciphertext means something.
      compress: 0,
    });
    backupId = backup.id;
    expect(reused).toBe(false);
    expect(backup).toMatchObject({
      ...subject,
      keyId: 'backup-1',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(progress.at(-1)).toBe(backup.sizeBytes);

    const ciphertext = await buffer(Readable.from(readBackupCiphertext(app, backup.id)));
    expect(ciphertext.includes(MARKER)).toBe(false);
    expect(ciphertext.includes('PGDMP')).toBe(false);
    // What it encrypts is the dump, rows and all: the test above would prove nothing otherwise.
    const keys = loadBackupKeys({ [BACKUP_KEYS_ENV]: KEY_ENTRY });
    const plain = await buffer(Readable.from([ciphertext]).pipe(createBackupDecryptor(keys, backup.keyId)));
    expect(plain.subarray(0, 5).toString()).toBe('PGDMP');
    expect(plain.includes('Snow deals')).toBe(true);
    expect(plain.length).toBe(backup.sizeBytes);
  });

  it('is taken once per release and step: a retry returns the stored one', async () => {
    const again = await takeBackup({
      pool: app,
      pgDump: '/nonexistent/pg_dump',
      databaseUrl: serviceUrl('edm_web_test'),
      keys: loadBackupKeys({ [BACKUP_KEYS_ENV]: KEY_ENTRY }),
      subject,
    });
    expect(again).toMatchObject({ reused: true, backup: { id: backupId } });
    expect((await app.query('SELECT count(*)::int AS n FROM release_backups')).rows).toEqual([{ n: 1 }]);
  });

  it('restores with the restore script into a fresh database, rows and schema', async () => {
    await ownerQuery('CREATE DATABASE edm_web_restored');
    const restored = await restoreScript(['--backup', backupId, '--to', serviceUrl('edm_web_restored')]);
    expect(restored.exitCode, restored.stderr).toBe(0);
    // The target's password is not repeated in the output.
    expect(JSON.parse(restored.stdout)).toMatchObject({
      backup: backupId,
      restoredTo: expect.stringContaining(':***@'),
    });
    expect(
      await ownerQuery('SELECT name, subject FROM campaigns ORDER BY id', serviceUrl('edm_web_restored')),
    ).toEqual([
      { name: 'autumn', subject: MARKER },
      { name: 'winter', subject: 'Snow deals' },
    ]);
    expect(
      await ownerQuery('SELECT name FROM pgmigrations ORDER BY id', serviceUrl('edm_web_restored')),
    ).toEqual([{ name: '001-campaigns' }, { name: '002-campaign-schedule' }, { name: '003-unsubscribes' }]);
  });

  it('writes a plain pg_dump archive with --out that pg_restore reads', async () => {
    const out = join(dir, 'backup.dump');
    const written = await restoreScript(['--backup', backupId, '--out', out]);
    expect(written.exitCode, written.stderr).toBe(0);
    const listed = await execa(findPgTool('pg_restore'), ['--list', out]);
    expect(listed.stdout).toContain('TABLE public campaigns');
  });

  it('fails clearly with a wrong key or an unknown key id, and restores nothing', async () => {
    await ownerQuery('CREATE DATABASE edm_web_wrong_key');
    const wrongKey = await restoreScript(
      ['--backup', backupId, '--to', serviceUrl('edm_web_wrong_key')],
      generatePayloadKeyEntry('backup-1'),
    );
    expect(wrongKey.exitCode).toBe(1);
    expect(wrongKey.stderr).toContain('does not decrypt with key backup-1');
    const otherId = await restoreScript(
      ['--backup', backupId, '--out', join(dir, 'never.dump')],
      generatePayloadKeyEntry('backup-2'),
    );
    expect(otherId.exitCode).toBe(1);
    expect(otherId.stderr).toContain(
      'encrypted with key backup-1, which the configured backup keys do not hold',
    );
    expect(
      await ownerQuery(
        "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'",
        serviceUrl('edm_web_wrong_key'),
      ),
    ).toEqual([{ n: 0 }]);
    const missing = await restoreScript(['--backup', 'bk-none', '--out', join(dir, 'never.dump')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('there is no backup bk-none');
  });

  it('is kept with the release record, where the application may add and read backups but not change one', async () => {
    expect(await findBackup(app, subject.releaseId, subject.stepId)).toMatchObject({ id: backupId });
    for (const sql of ["UPDATE release_backups SET key_id = 'other'", 'DELETE FROM release_backups']) {
      await expect(app.query(sql)).rejects.toMatchObject({ code: '42501' });
    }
  });
});

describe('the backup cipher', () => {
  const keys = loadBackupKeys({ [BACKUP_KEYS_ENV]: KEY_ENTRY });
  const seal = async (plain: Buffer) => {
    const { keyId, stream } = createBackupEncryptor(keys);
    return { keyId, sealed: await buffer(Readable.from([plain]).pipe(stream)) };
  };
  const open = (sealed: Buffer, keyId = 'backup-1') =>
    buffer(Readable.from([sealed]).pipe(createBackupDecryptor(keys, keyId)));

  it('round-trips empty and multi-chunk input, and refuses altered, cut or relabelled ciphertext', async () => {
    expect(await open((await seal(Buffer.alloc(0))).sealed)).toEqual(Buffer.alloc(0));
    const plain = Buffer.alloc(CHUNK_BYTES * 2 + 17, 'campaign ');
    const { sealed } = await seal(plain);
    expect(await open(sealed)).toEqual(plain);
    const altered = Buffer.from(sealed);
    altered[sealed.length - 40] = (altered[sealed.length - 40] as number) ^ 1;
    await expect(open(altered)).rejects.toBeInstanceOf(BackupDecryptionError);
    await expect(open(sealed.subarray(0, CHUNK_BYTES + 100))).rejects.toThrow(/cut short/);
    const relabelled = loadBackupKeys({
      [BACKUP_KEYS_ENV]: `backup-2:${KEY_ENTRY.split(':')[1]}`,
    });
    await expect(
      buffer(Readable.from([sealed]).pipe(createBackupDecryptor(relabelled, 'backup-2'))),
    ).rejects.toThrow(/does not decrypt with key backup-2/);
  });

  it('falls back to the payload keys, and says so', () => {
    const said: string[] = [];
    const fallback = loadBackupKeys({ [PAYLOAD_KEYS_ENV]: KEY_ENTRY }, (message) => said.push(message));
    expect(fallback).toMatchObject({ activeKeyId: 'backup-1', variable: PAYLOAD_KEYS_ENV });
    expect(said).toEqual([expect.stringContaining('RUNWAY_BACKUP_KEYS is not set')]);
    expect(() => loadBackupKeys({})).toThrow(/RUNWAY_PAYLOAD_KEYS is not set/);
  });
});

describe('pg_dump and pg_restore', () => {
  it('are found on the PATH or in RUNWAY_PG_BIN, and refused when missing or older than the server', async () => {
    expect(() => findPgTool('pg_dump', { PATH: '' })).toThrow(
      /not installed.*apt-get install postgresql-client/,
    );
    expect(() => findPgTool('pg_dump', { RUNWAY_PG_BIN: dir })).toThrow(PgToolError);
    // A pg_dump that reports an old version, as an outdated client package would.
    const oldBin = join(dir, 'old-bin');
    await mkdir(oldBin);
    await writeFile(join(oldBin, 'pg_dump'), '#!/bin/sh\necho "pg_dump (PostgreSQL) 12.22"\n');
    await chmod(join(oldBin, 'pg_dump'), 0o755);
    await expect(pgToolFor('pg_dump', database.ownerUrl, { RUNWAY_PG_BIN: oldBin })).rejects.toThrow(
      /PostgreSQL 12, older than the server \(PostgreSQL 15\)/,
    );
  });
});
