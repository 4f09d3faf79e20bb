// Release backups (R-RB-DB): a service's database dumped with pg_dump before a release migrates it,
// encrypted (security/backup-cipher.ts) and kept in Runway's PostgreSQL beside the release record,
// where every worker and the restore script reach it. One backup per release and migrate step: a
// retried backup finds the one already stored.
import { createHash, randomUUID } from 'node:crypto';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import type pg from 'pg';
import { registerSecret } from '../logging/secret-values.js';
import { createBackupEncryptor } from '../security/backup-cipher.js';
import type { KeyList } from '../security/key-list.js';

export interface BackupRecord {
  id: string;
  releaseId: string;
  stepId: string;
  service: string;
  environment: string;
  /** The database's last migration when the backup was taken; null: none applied. */
  migrationId: string | null;
  keyId: string;
  /** Of the plain dump. */
  sizeBytes: number;
  /** SHA-256 of the plain dump, hex. */
  sha256: string;
  createdAt: string;
}

export interface BackupSubject {
  releaseId: string;
  stepId: string;
  service: string;
  environment: string;
  migrationId: string | null;
}

interface BackupRow {
  id: string;
  release_id: string;
  step_id: string;
  service: string;
  environment: string;
  migration_id: string | null;
  key_id: string;
  size_bytes: string;
  sha256: string;
  created_at: Date;
}

const COLUMNS =
  'id, release_id, step_id, service, environment, migration_id, key_id, size_bytes, sha256, created_at';
/** How much ciphertext one read fetches when a backup is streamed out. */
const READ_PIECE_BYTES = 1024 * 1024;

function toRecord(row: BackupRow): BackupRecord {
  return {
    id: row.id,
    releaseId: row.release_id,
    stepId: row.step_id,
    service: row.service,
    environment: row.environment,
    migrationId: row.migration_id,
    keyId: row.key_id,
    sizeBytes: Number(row.size_bytes),
    sha256: row.sha256,
    createdAt: row.created_at.toISOString(),
  };
}

export async function findBackup(
  pool: pg.Pool,
  releaseId: string,
  stepId: string,
): Promise<BackupRecord | undefined> {
  const { rows } = await pool.query<BackupRow>(
    `SELECT ${COLUMNS} FROM release_backups WHERE release_id = $1 AND step_id = $2`,
    [releaseId, stepId],
  );
  return rows[0] ? toRecord(rows[0]) : undefined;
}

export async function getBackup(pool: pg.Pool, id: string): Promise<BackupRecord | undefined> {
  const { rows } = await pool.query<BackupRow>(`SELECT ${COLUMNS} FROM release_backups WHERE id = $1`, [id]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

export async function listBackups(pool: pg.Pool, releaseId: string): Promise<BackupRecord[]> {
  const { rows } = await pool.query<BackupRow>(
    `SELECT ${COLUMNS} FROM release_backups WHERE release_id = $1 ORDER BY created_at, id`,
    [releaseId],
  );
  return rows.map(toRecord);
}

/** Stores a backup; when one for the same release and step is already there, that one is returned. */
async function insertBackup(
  pool: pg.Pool,
  backup: Omit<BackupRecord, 'id' | 'createdAt'>,
  ciphertext: Buffer,
): Promise<BackupRecord> {
  const { rows } = await pool.query<BackupRow>(
    `INSERT INTO release_backups
       (id, release_id, step_id, service, environment, migration_id, key_id, size_bytes, sha256, ciphertext)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (release_id, step_id) DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      `bk-${randomUUID()}`,
      backup.releaseId,
      backup.stepId,
      backup.service,
      backup.environment,
      backup.migrationId,
      backup.keyId,
      backup.sizeBytes,
      backup.sha256,
      ciphertext,
    ],
  );
  if (rows[0]) return toRecord(rows[0]);
  const existing = await findBackup(pool, backup.releaseId, backup.stepId);
  if (!existing)
    throw new Error(`backup of ${backup.releaseId}/${backup.stepId} vanished while it was stored`);
  return existing;
}

/** The ciphertext, a piece at a time: a restore never holds the whole backup in memory twice. */
export async function* readBackupCiphertext(pool: pg.Pool, id: string): AsyncGenerator<Buffer> {
  const { rows } = await pool.query<{ length: number }>(
    'SELECT octet_length(ciphertext) AS length FROM release_backups WHERE id = $1',
    [id],
  );
  const length = rows[0]?.length;
  if (length === undefined) throw new Error(`no backup ${id}`);
  for (let offset = 0; offset < length; offset += READ_PIECE_BYTES) {
    const piece = await pool.query<{ bytes: Buffer }>(
      'SELECT substring(ciphertext FROM $2 FOR $3) AS bytes FROM release_backups WHERE id = $1',
      [id, offset + 1, READ_PIECE_BYTES],
    );
    yield piece.rows[0]?.bytes ?? Buffer.alloc(0);
  }
}

/**
 * A connection string without its password, and the password for PGPASSWORD: a password on a
 * command line is readable by every user of the machine (ps).
 */
export function libpqConnection(databaseUrl: string): { url: string; env: Record<string, string> } {
  const url = new URL(databaseUrl);
  const password = decodeURIComponent(url.password);
  registerSecret(password);
  url.password = '';
  return { url: url.toString(), env: password ? { PGPASSWORD: password } : {} };
}

export interface TakeBackupOptions {
  pool: pg.Pool;
  pgDump: string;
  databaseUrl: string;
  keys: KeyList;
  subject: BackupSubject;
  /** Plain bytes dumped so far, as they stream through. */
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
  /** pg_dump's --compress level; its default (zlib) unless set. */
  compress?: number;
}

/**
 * pg_dump -Fc of the database, hashed and encrypted as it streams, then stored in one INSERT (a
 * backup is either all there or not there at all). A backup already stored for the release and
 * step is returned as it is, without dumping again.
 */

/** A pass-through stream that counts and hashes what flows through it (a dump, as taken or restored). */
export function measuredStream(onProgress?: (sizeBytes: number) => void) {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      sizeBytes += chunk.length;
      onProgress?.(sizeBytes);
      callback(null, chunk);
    },
  });
  return { stream, sizeBytes: () => sizeBytes, sha256: () => hash.digest('hex') };
}

export async function takeBackup(o: TakeBackupOptions): Promise<{ backup: BackupRecord; reused: boolean }> {
  const existing = await findBackup(o.pool, o.subject.releaseId, o.subject.stepId);
  if (existing) return { backup: existing, reused: true };
  const connection = libpqConnection(o.databaseUrl);
  const compress = o.compress === undefined ? [] : [`--compress=${o.compress}`];
  const dump = execa(
    o.pgDump,
    ['--format=custom', ...compress, '--no-password', `--dbname=${connection.url}`],
    {
      env: connection.env,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: { stdout: false, stderr: true },
      cancelSignal: o.signal,
      reject: false,
    },
  );
  const measure = measuredStream(o.onProgress);
  const { keyId, stream: encryptor } = createBackupEncryptor(o.keys);
  const ciphertext: Buffer[] = [];
  const collect = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      ciphertext.push(chunk);
      callback();
    },
  });
  const [result] = await Promise.all([dump, pipeline(dump.stdout, measure.stream, encryptor, collect)]);
  if (result.exitCode !== 0) {
    throw new Error(
      `pg_dump of ${o.subject.service} in ${o.subject.environment} failed: ${String(result.stderr).trim()}`,
    );
  }
  const backup = await insertBackup(
    o.pool,
    { ...o.subject, keyId, sizeBytes: measure.sizeBytes(), sha256: measure.sha256() },
    Buffer.concat(ciphertext),
  );
  return { backup, reused: false };
}
