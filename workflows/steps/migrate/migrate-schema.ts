// The migrate kind's schemas and resolution: backs up the service's database, then migrates it to
// what the release's version carries (R-RB-DB); its undo migrates back down.
import { z } from '@hono/zod-openapi';
import { secretVariableFor } from '../../../config/command-template.js';
import { PlanError, toCommandSpec } from '../../../runbooks/plan-error.js';
import { runbookStepBase } from '../../../runbooks/runbook-step-base.js';
import { commandSchema, planStepBase } from '../plan-schemas.js';
import { defineStep } from '../step-definition.js';

export const migrateRunbookStep = z.strictObject({ ...runbookStepBase, kind: z.literal('migrate') });

/**
 * A database's migrations (R-RB-DB): `status` prints the current migration id (JSON on stdout);
 * `up` migrates to the release's {version}; `down` migrates back to {migrationId}. The backup is
 * taken by Runway itself from the database at `urlEnv` (a worker environment variable) first.
 */
export const migrationSchema = z.object({
  urlEnv: z.string().openapi({
    description: "The worker variable holding the database's URL: its name, never its value.",
  }),
  actions: z.object({ status: commandSchema, up: commandSchema, down: commandSchema }),
});
export type MigrationSpec = z.infer<typeof migrationSchema>;

export const migratePlanStep = z.object({
  ...planStepBase,
  kind: z.literal('migrate'),
  database: migrationSchema,
});
export type MigratePlanStep = z.infer<typeof migratePlanStep>;

/** Back down to `migrationId` (null: none applied before); the backup taken first. */
export const migrateDownAction = z.object({
  kind: z.literal('migrate-down'),
  migrationId: z.string().nullable(),
  fromMigrationId: z.string().nullable(),
  backupId: z.string(),
});

export const migrateDefinition = defineStep(migrateRunbookStep, migratePlanStep, {
  compensationViews: [migrateDownAction],
  describeChecks: () => 'backs up the database, then migrates it to what the version carries',
  resolve: (step, { base, service, target }) => {
    const { serviceConfig, values } = target();
    const database = serviceConfig.database;
    if (!database) throw new PlanError(`service ${service} has no database to migrate (step ${step.id})`);
    const command = (config: typeof database.actions.up) => toCommandSpec(config, values, step.environment);
    return {
      ...base,
      kind: 'migrate',
      database: {
        urlEnv: secretVariableFor(database.urlEnv, step.environment),
        // {migrationId} stays a placeholder in `down`: only the step knows where the database stood.
        actions: {
          status: command(database.actions.status),
          up: command(database.actions.up),
          down: command(database.actions.down),
        },
      },
    };
  },
});
