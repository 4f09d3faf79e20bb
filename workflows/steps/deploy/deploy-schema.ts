// The deploy kind's schemas and resolution: blue-green or rolling, as the service's config says
// (R-RB-BLUEGREEN, R-RB-ROLLING), and the undos each strategy records.
import { z } from '@hono/zod-openapi';
import type { CommandConfig, RunwayConfig } from '../../../config/config-schema.js';
import { toCommandSpec } from '../../../runbooks/plan-error.js';
import { runbookStepBase } from '../../../runbooks/runbook-step-base.js';
import { COLOURS } from '../../release-model.js';
import { commandSchema, planStepBase, viewOf } from '../plan-schemas.js';
import type { ResolveContext, StepDefinition } from '../step-definition.js';

export const deployRunbookStep = z.strictObject({ ...runbookStepBase, kind: z.literal('deploy') });

/**
 * deploy, switch and retire carry `{expectedActive}` (blue, green or none): the target refuses
 * (exit code 3) when traffic is not where the release expects, so a hand-made switch is never
 * overwritten. `retire` takes a colour out of service: the undo of a first-ever deploy.
 */
export const blueGreenDriverSchema = z.object({
  type: z.literal('command'),
  actions: z.object({
    inspect: commandSchema,
    deploy: commandSchema,
    check: commandSchema,
    switch: commandSchema,
    retire: commandSchema,
  }),
});
export type DriverSpec = z.infer<typeof blueGreenDriverSchema>;

/**
 * `instances` lists a rolling service's instances with the version each runs (JSON on stdout);
 * `update` puts {version} on {instance}, refusing (exit code 3) when it does not run
 * {expectedVersion}; `check` says whether {instance} is healthy and runs {version}.
 */
export const rollingDriverSchema = z.object({
  type: z.literal('command'),
  actions: z.object({ instances: commandSchema, update: commandSchema, check: commandSchema }),
});
export type RollingDriverSpec = z.infer<typeof rollingDriverSchema>;

const blueGreenPlanStep = z.object({
  ...planStepBase,
  kind: z.literal('deploy'),
  strategy: z.literal('blue-green'),
  driver: blueGreenDriverSchema,
});
const rollingPlanStep = z.object({
  ...planStepBase,
  kind: z.literal('deploy'),
  strategy: z.literal('rolling'),
  /** Instances updated together; each batch is checked before the next starts. */
  batchSize: z
    .number()
    .int()
    .openapi({ description: 'Instances updated together; each batch is checked first.' }),
  driver: rollingDriverSchema,
});
export const deployPlanStep = z.discriminatedUnion('strategy', [blueGreenPlanStep, rollingPlanStep]);
export type BlueGreenDeployPlanStep = z.infer<typeof blueGreenPlanStep>;
export type RollingDeployPlanStep = z.infer<typeof rollingPlanStep>;
export type DeployPlanStep = z.infer<typeof deployPlanStep>;

/**
 * Blue-green: send traffic back to `to`, but only while `from` (the release's colour) is active.
 * `version`: what `to` serves, which the rollback verification expects back (absent in older plans).
 */
export const switchTrafficBackAction = z.object({
  kind: z.literal('switch-traffic-back'),
  to: z.enum(COLOURS),
  from: z.enum(COLOURS),
  version: z.string().nullable().optional(),
});
/** A first-ever deploy: take `colour` out of service again, only while it is the active one. */
export const retireColourAction = z.object({ kind: z.literal('retire-colour'), colour: z.enum(COLOURS) });
/** Rolling: put `version` back on `instance`, only while it runs `from` (the release's version). */
export const restoreInstanceAction = z.object({
  kind: z.literal('restore-instance'),
  instance: z.string(),
  version: z.string(),
  from: z.string(),
});

/**
 * {colour} and {expectedActive} stay placeholders (fillPlaceholders leaves names without a value):
 * only the deploy itself knows which colour is idle and which one it saw active. Rolling:
 * {instance}, {expectedVersion} and {idempotencyKey} stay placeholders too, and so does {version},
 * because the undo of an update puts the previous version back with the same commands.
 */
function resolveDeploy(context: ResolveContext): DeployPlanStep {
  const { base } = context;
  const { serviceConfig, values } = context.target();
  const deploy: RunwayConfig['services'][string]['deploy'] = serviceConfig.deploy;
  const command = (config: CommandConfig) => toCommandSpec(config, values, base.environment);
  if (deploy.strategy === 'rolling') {
    const { version: _filledPerCall, ...withoutVersion } = values;
    const perInstance = (config: CommandConfig) => toCommandSpec(config, withoutVersion, base.environment);
    const { actions } = deploy.driver;
    return {
      ...base,
      kind: 'deploy',
      strategy: 'rolling',
      batchSize: deploy.batchSize,
      driver: {
        type: 'command',
        actions: {
          instances: command(actions.instances),
          update: perInstance(actions.update),
          check: perInstance(actions.check),
        },
      },
    };
  }
  const { actions } = deploy.driver;
  return {
    ...base,
    kind: 'deploy',
    strategy: 'blue-green',
    driver: {
      type: 'command',
      actions: {
        inspect: command(actions.inspect),
        deploy: command(actions.deploy),
        check: command(actions.check),
        switch: command(actions.switch),
        retire: command(actions.retire),
      },
    },
  };
}

export const deployDefinition = {
  kind: 'deploy',
  runbookStep: deployRunbookStep,
  planStep: deployPlanStep,
  view: z.discriminatedUnion('strategy', [
    // Plans resolved by the v1 engine have no retire action.
    viewOf(blueGreenPlanStep, {
      driver: blueGreenDriverSchema.extend({
        actions: blueGreenDriverSchema.shape.actions.extend({
          retire: commandSchema
            .optional()
            .openapi({ description: 'Absent in plans resolved before retire existed.' }),
        }),
      }),
    }),
    viewOf(rollingPlanStep),
  ]),
  // Plans resolved by the v1 engine have no strategy: they were all blue-green.
  toView: (step) => ({ ...step, strategy: step.strategy ?? 'blue-green' }),
  compensationViews: [
    switchTrafficBackAction.omit({ version: true }),
    retireColourAction,
    restoreInstanceAction,
  ],
  describeChecks: () => 'deploys the version, checks it, then moves traffic to it',
  resolve: (_step, context) => resolveDeploy(context),
} satisfies StepDefinition<z.infer<typeof deployRunbookStep>, DeployPlanStep>;
