// A service's database during a release (R-RB-DB): where its migrations stand, a backup Runway takes
// itself before migrating, and the service's own migration tool run up or down. The tool runs through
// the command runner like every configured command (argument arrays, secrets only through envFrom);
// the backup is pg_dump, encrypted, stored in Runway's PostgreSQL (db/release-backups.ts).
// Every one is idempotent: up to a version the database has already, or down to the id it is at,
// changes nothing, and a retried backup returns the one already stored.
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { PgToolError, pgToolFor } from '../db/pg-client-tools.js';
import { takeBackup } from '../db/release-backups.js';
import { registerSecret } from '../logging/secret-values.js';
import { BackupKeyError, loadBackupKeys } from '../security/backup-cipher.js';
import type { CommandSpec, MigrationSpec } from '../workflows/release-model.js';
import type { ActivityDeps } from './activity-deps.js';
import { runCommand } from './drivers/command-runner.js';
import { DriverContractError, parseLastJsonLine } from './drivers/driver-output.js';
import { ERROR_OUTPUT_BYTES, tailBytes } from './drivers/output-tail.js';
import { throwIfCancelled, withHeartbeat } from './heartbeat.js';

export interface DatabaseRef {
  releaseId: string;
  stepId: string;
  service: string;
  environment: string;
  database: MigrationSpec;
}

export interface MigrationState {
  /** The last applied migration; null: none. */
  migrationId: string | null;
  applied: string[];
}

export interface MigrationResult extends MigrationState {
  /** The migrations this call ran (none: the database was there already). */
  ran: string[];
  durationMs: number;
}

export interface BackupResult {
  backupId: string;
  sizeBytes: number;
  sha256: string;
  keyId: string;
  durationMs: number;
  /** Found already stored by an earlier attempt: nothing was dumped this time. */
  reused: boolean;
}

/** `NOTHING_APPLIED` stands for "no migration at all" on the tool's command line. */
const NOTHING_APPLIED = 'none';

const statusOutput = z.object({
  migrationId: z.string().nullable(),
  applied: z.array(z.string()),
  ran: z.array(z.string()).optional(),
});

export function createDatabaseActivities(deps: ActivityDeps) {
  async function runTool(
    ref: DatabaseRef,
    action: keyof MigrationSpec['actions'],
    values: Record<string, string>,
  ): Promise<MigrationResult> {
    const log = deps.logger.child({ releaseId: ref.releaseId, step: ref.stepId, action });
    // The URL holds the database's password: no log line may carry it (R-SECRETS).
    registerSecret(process.env[ref.database.urlEnv]);
    const command: CommandSpec = ref.database.actions[action];
    const started = Date.now();
    const result = await withHeartbeat(
      () => ({ action, runningForMs: Date.now() - started }),
      (signal) => runCommand(command, values, { cwd: deps.workingDirectory, signal }),
    );
    throwIfCancelled();
    if (result.cancelled) throw new Error(`${command.argv[0]} was stopped before it finished`);
    const where = `${ref.service} in ${ref.environment}`;
    if (result.exitCode !== 0) {
      log.warn({ exitCode: result.exitCode, timedOut: result.timedOut }, 'migration tool failed');
      const why = result.timedOut
        ? `timed out after ${command.timeoutMs} ms`
        : `exited with ${result.exitCode}`;
      // The tool's last line says why; the lines before it (the SQL it ran, say) go in the details.
      const output = tailBytes(result.stderr || result.stdout, ERROR_OUTPUT_BYTES);
      const message = `migration ${action} of ${where} ${why}: ${lastLine(output)}`;
      const details = { exitCode: result.exitCode, output };
      // 2: the request does not fit the database; 4: a migration's SQL failed and would fail again.
      if (result.exitCode === 2) throw ApplicationFailure.nonRetryable(message, 'MigrationRefused', details);
      if (result.exitCode === 4) throw ApplicationFailure.nonRetryable(message, 'MigrationFailed', details);
      throw ApplicationFailure.retryable(message, 'MigrationFailed', details);
    }
    let parsed: z.output<typeof statusOutput>;
    try {
      parsed = parseLastJsonLine(`migration ${action} of ${where}`, result, statusOutput);
    } catch (error) {
      if (!(error instanceof DriverContractError)) throw error;
      throw ApplicationFailure.nonRetryable(error.message, 'MigrationToolContractViolated');
    }
    log.info({ migrationId: parsed.migrationId, ran: parsed.ran ?? [] }, `migration ${action} done`);
    return { ...parsed, ran: parsed.ran ?? [], durationMs: result.durationMs };
  }

  return {
    async migrationStatus(ref: DatabaseRef): Promise<MigrationState> {
      const { migrationId, applied } = await runTool(ref, 'status', {});
      return { migrationId, applied };
    },

    async migrateUp(ref: DatabaseRef & { version: string }): Promise<MigrationResult> {
      return runTool(ref, 'up', { version: ref.version });
    },

    async migrateDown(ref: DatabaseRef & { migrationId: string | null }): Promise<MigrationResult> {
      return runTool(ref, 'down', { migrationId: ref.migrationId ?? NOTHING_APPLIED });
    },

    async backupDatabase(ref: DatabaseRef & { migrationId: string | null }): Promise<BackupResult> {
      const log = deps.logger.child({ releaseId: ref.releaseId, step: ref.stepId });
      const databaseUrl = process.env[ref.database.urlEnv];
      registerSecret(databaseUrl);
      if (!databaseUrl) {
        throw ApplicationFailure.nonRetryable(
          `environment variable ${ref.database.urlEnv} (the database of ${ref.service} in ${ref.environment}) is not set on the worker`,
          'BackupNotPossible',
        );
      }
      const started = Date.now();
      let dumped = 0;
      try {
        const pgDump = await pgToolFor('pg_dump', databaseUrl);
        const keys = loadBackupKeys(process.env, (message) => log.warn(message));
        const { backup, reused } = await withHeartbeat(
          () => ({ bytesDumped: dumped, runningForMs: Date.now() - started }),
          (signal) =>
            takeBackup({
              pool: deps.pool,
              pgDump,
              databaseUrl,
              keys,
              signal,
              subject: {
                releaseId: ref.releaseId,
                stepId: ref.stepId,
                service: ref.service,
                environment: ref.environment,
                migrationId: ref.migrationId,
              },
              onProgress: (bytes) => {
                dumped = bytes;
              },
            }),
        );
        const durationMs = Date.now() - started;
        log.info(
          { backupId: backup.id, sizeBytes: backup.sizeBytes, reused, durationMs },
          'database backed up',
        );
        return {
          backupId: backup.id,
          sizeBytes: backup.sizeBytes,
          sha256: backup.sha256,
          keyId: backup.keyId,
          durationMs,
          reused,
        };
      } catch (error) {
        throwIfCancelled();
        // Missing or outdated tools and keys are the operator's to fix; retrying changes nothing.
        if (error instanceof PgToolError || error instanceof BackupKeyError) {
          throw ApplicationFailure.nonRetryable(error.message, 'BackupNotPossible');
        }
        throw error;
      }
    },
  };
}

function lastLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .at(-1) ?? text
  );
}
