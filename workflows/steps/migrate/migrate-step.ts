// Database migrations (R-RB-DB): where the database stands, a backup first, then the service's own
// migration tool up to what the release's version carries. The undo (migrate back down to where
// the database stood) is recorded before `up` runs, so a migration that took effect but reported
// failure is undone too; a migration that failed half-way left nothing (it ran in one transaction),
// and its undo finds the database where it was, which makes it a no-op.
import { ApplicationFailure } from '@temporalio/workflow';
import { databaseActivities } from '../../activity-proxies.js';
import type { CompensationEntry, MigratePlanStep, ReleaseInput } from '../../release-model.js';
import { timingOptions } from '../../release-model.js';
import type { StepContext, StepDetail } from '../step-context.js';
import { type CompensationResult, releaseTarget, stepKind, stepUndoneBy } from '../step-kind.js';

type MigrateDown = Extract<CompensationEntry['action'], { kind: 'migrate-down' }>;

const databaseRef = (input: ReleaseInput, step: MigratePlanStep) => ({
  ...releaseTarget(input, step),
  stepId: step.id,
  database: step.database,
});

const describeId = (migrationId: string | null) => migrationId ?? 'no migration';

export async function runMigrateStep(context: StepContext, step: MigratePlanStep): Promise<StepDetail> {
  const { input, compensations } = context;
  const ref = databaseRef(input, step);
  const where = `the database of ${input.service} in ${step.environment}`;
  const options = (summary: string) => ({ ...timingOptions(input), summary });

  const before = await databaseActivities.migrationStatus.executeWithOptions(
    options(`migration status of ${where}`),
    [ref],
  );
  const backup = await databaseActivities.backupDatabase.executeWithOptions(
    options(`back up ${where} (at ${describeId(before.migrationId)})`),
    [{ ...ref, migrationId: before.migrationId }],
  );
  const undoId = `${step.id}.down`;
  compensations.push({
    id: undoId,
    stepId: step.id,
    environment: step.environment,
    description: `migrate ${where} back down to ${describeId(before.migrationId)} (backup ${backup.backupId})`,
    // Where `up` leaves the database is known only once it ran: until then, the id it stood at.
    action: {
      kind: 'migrate-down',
      migrationId: before.migrationId,
      fromMigrationId: before.migrationId,
      backupId: backup.backupId,
    },
  });
  const migrated = await databaseActivities.migrateUp.executeWithOptions(
    options(`migrate ${where} up to ${input.version}`),
    [{ ...ref, version: input.version }],
  );
  const after = await databaseActivities.migrationStatus.executeWithOptions(
    options(`migration status of ${where} after migrating`),
    [ref],
  );
  const undo = context.state.rollbackPlan.find((entry) => entry.id === undoId);
  if (undo?.action.kind === 'migrate-down') undo.action.fromMigrationId = after.migrationId;
  return {
    migrationIdBefore: before.migrationId,
    migrationIdAfter: after.migrationId,
    migrationsRun: migrated.ran,
    migrationDurationMs: migrated.durationMs,
    backupId: backup.backupId,
    backupSizeBytes: backup.sizeBytes,
    backupDurationMs: backup.durationMs,
    backupKeyId: backup.keyId,
  };
}

/**
 * The undo of a migrate step: down to the id the database stood at before the release, then a
 * fresh status to prove it is there. Like every compensation it undoes only what the release did:
 * a database that someone migrated elsewhere since is left as it is.
 */
async function compensateMigration(
  input: ReleaseInput,
  entry: CompensationEntry,
  action: MigrateDown,
): Promise<CompensationResult> {
  const ref = databaseRef(input, stepUndoneBy<MigratePlanStep>(input, entry));
  const options = (summary: string) => ({ ...timingOptions(input), summary });
  const current = await databaseActivities.migrationStatus.executeWithOptions(
    options(`compensate: migration status before ${entry.description}`),
    [ref],
  );
  if (current.migrationId === action.migrationId) {
    return {
      status: 'done',
      detail: `already at ${describeId(action.migrationId)}: nothing to migrate down`,
    };
  }
  const outcomeKnown = action.fromMigrationId !== action.migrationId;
  if (outcomeKnown && current.migrationId !== action.fromMigrationId) {
    return {
      status: 'skipped',
      detail: `left as it is: the database is at ${describeId(current.migrationId)}, not ${describeId(action.fromMigrationId)} where the release left it`,
    };
  }
  await databaseActivities.migrateDown.executeWithOptions(options(`compensate: ${entry.description}`), [
    { ...ref, migrationId: action.migrationId },
  ]);
  const after = await databaseActivities.migrationStatus.executeWithOptions(
    options(`compensate: migration status after ${entry.description}`),
    [ref],
  );
  if (after.migrationId !== action.migrationId) {
    throw ApplicationFailure.nonRetryable(
      `migrating down did not reach ${describeId(action.migrationId)}: the database is at ${describeId(after.migrationId)} (backup ${action.backupId} holds it as it was)`,
      'MigrationNotReverted',
    );
  }
  // From the statuses around it, not from what the last attempt ran: an attempt cut short by a
  // dead worker may have reverted everything, leaving its retry nothing to do.
  const reverted = current.applied.filter((id) => !after.applied.includes(id));
  return {
    status: 'done',
    detail: `migrated down to ${describeId(action.migrationId)} (reverted ${reverted.join(', ') || 'nothing'})`,
  };
}

export const migrateStep = stepKind<MigratePlanStep, 'migrate-down'>(runMigrateStep, {
  traits: { changesTarget: true, needsDatabase: true },
  compensations: {
    'migrate-down': { run: compensateMigration, restores: () => undefined, restoresData: true },
  },
});
