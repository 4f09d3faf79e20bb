import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import pg from 'pg';
import { loadProcessConfig } from '../config/load-process-config.js';
import { withoutPassword } from '../db/application-role.js';
import { pgToolFor } from '../db/pg-client-tools.js';
import {
  type BackupRecord,
  getBackup,
  libpqConnection,
  measuredStream,
  readBackupCiphertext,
} from '../db/release-backups.js';
import { createBackupDecryptor, loadBackupKeys } from '../security/backup-cipher.js';

const USAGE = 'usage: npm run backup:restore -- --backup <id> (--to <database-url> | --out <file.dump>)';

class UsageError extends Error {}

function readArguments(): { backupId: string; to?: string; out?: string } {
  const { values } = parseArgs({
    options: { backup: { type: 'string' }, to: { type: 'string' }, out: { type: 'string' } },
    strict: true,
  });
  if (!values.backup) throw new UsageError(`--backup is required\n${USAGE}`);
  if ((values.to === undefined) === (values.out === undefined)) {
    throw new UsageError(`give exactly one of --to and --out\n${USAGE}`);
  }
  return { backupId: values.backup, to: values.to, out: values.out };
}

/** Decrypts the stored backup and checks it is, byte for byte, the dump that was taken. */
function plainDump(pool: pg.Pool, backup: BackupRecord): { stream: Readable; verified: () => void } {
  const keys = loadBackupKeys(process.env, (message) => process.stderr.write(`${message}\n`));
  const measure = measuredStream();
  const stream = Readable.from(readBackupCiphertext(pool, backup.id))
    .pipe(createBackupDecryptor(keys, backup.keyId))
    .pipe(measure.stream);
  const verified = () => {
    const sha256 = measure.sha256();
    const size = measure.sizeBytes();
    if (size !== backup.sizeBytes || sha256 !== backup.sha256) {
      throw new Error(
        `backup ${backup.id} decrypted to ${size} bytes with SHA-256 ${sha256}, not the ${backup.sizeBytes} bytes ${backup.sha256} that were taken`,
      );
    }
  };
  return { stream, verified };
}

async function restoreInto(databaseUrl: string, dump: Readable): Promise<void> {
  const connection = libpqConnection(databaseUrl);
  const restore = execa(
    await pgToolFor('pg_restore', databaseUrl),
    ['--no-owner', '--no-acl', '--exit-on-error', '--single-transaction', `--dbname=${connection.url}`],
    { env: connection.env, stdin: 'pipe', stdout: 'inherit', stderr: 'pipe', reject: false },
  );
  const [result, piped] = await Promise.allSettled([restore, pipeline(dump, restore.stdin)]);
  // A decryption failure stops the input; pg_restore then fails too, but the first is the cause.
  if (piped.status === 'rejected' && (piped.reason as { code?: string }).code !== 'EPIPE') throw piped.reason;
  if (result.status === 'rejected') throw result.reason;
  if (result.value.exitCode !== 0) {
    throw new Error(`pg_restore failed (nothing was restored): ${String(result.value.stderr).trim()}`);
  }
}

async function main(): Promise<number> {
  let pool: pg.Pool | undefined;
  try {
    const args = readArguments();
    const { databaseUrl } = await loadProcessConfig();
    pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    const backup = await getBackup(pool, args.backupId);
    if (!backup) throw new UsageError(`there is no backup ${args.backupId}`);
    const dump = plainDump(pool, backup);
    if (args.out) {
      try {
        await pipeline(dump.stream, createWriteStream(args.out, { mode: 0o600 }));
        dump.verified();
      } catch (error) {
        // A partly written or unverified dump must not be taken for a good one.
        await rm(args.out, { force: true });
        throw error;
      }
    } else if (args.to) {
      await restoreInto(args.to, dump.stream);
      dump.verified();
    }
    const where = args.out ?? withoutPassword(args.to as string);
    process.stdout.write(
      `${JSON.stringify({ backup: backup.id, restoredTo: where, sizeBytes: backup.sizeBytes, sha256: backup.sha256 })}\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`backup:restore: ${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof UsageError ? 2 : 1;
  } finally {
    await pool?.end();
  }
}

process.exitCode = await main();
