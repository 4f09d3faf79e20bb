// The apply-config kind's schemas and resolution (R-CONFIG-CHANGE): applies the release's
// configuration revision through the service's configuration driver; the previous revision is its undo.
import { z } from '@hono/zod-openapi';
import type { CommandConfig, RunwayConfig } from '../../../config/config-schema.js';
import { PlanError, toCommandSpec } from '../../../runbooks/plan-error.js';
import { runbookStepBase } from '../../../runbooks/runbook-step-base.js';
import { type ChecklistTag, commandSchema, planStepBase } from '../plan-schemas.js';

type ServiceConfig = RunwayConfig['services'][string];

import { defineStep } from '../step-definition.js';

export const applyConfigRunbookStep = z.strictObject({ ...runbookStepBase, kind: z.literal('apply-config') });

/**
 * A service's configuration bundles: `current` prints {revision} as JSON, `apply` puts {revision} in
 * place only while {expectedRevision} is current, `check` says the service runs healthily with {revision}.
 */
export const configDriverSchema = z.object({
  type: z.literal('command'),
  actions: z.object({ current: commandSchema, apply: commandSchema, check: commandSchema }),
});
export type ConfigDriverSpec = z.infer<typeof configDriverSchema>;

export const applyConfigPlanStep = z.object({
  ...planStepBase,
  kind: z.literal('apply-config'),
  revision: z.string(),
  driver: configDriverSchema,
});
export type ApplyConfigPlanStep = z.infer<typeof applyConfigPlanStep>;

/** Put `revision` back in force, only while `from` (the release's) is. */
export const restoreConfigAction = z.object({
  kind: z.literal('restore-config'),
  revision: z.string(),
  from: z.string(),
});

/** The bundle a config-change release applies; a PlanError (422) names what the service offers. */
export function configBundleOf(service: ServiceConfig, revision: string): { sensitive: boolean } {
  const configuration = service.configuration;
  if (!configuration) {
    throw new PlanError(
      `service ${service.name} declares no configuration bundles, so it takes no config-change`,
    );
  }
  const bundle = configuration.bundles[revision];
  if (!bundle) {
    const known = Object.keys(configuration.bundles).sort().join(', ');
    throw new PlanError(`service ${service.name} has no configuration bundle ${revision} (it has: ${known})`);
  }
  return { sensitive: bundle.sensitive };
}

/**
 * {revision}, {expectedRevision} and {idempotencyKey} stay placeholders: the undo applies and checks
 * the previous revision with the same commands, and only the step knows what was in force.
 */
function resolveApplyConfigStep(
  base: { id: string; name: string; environment: string; checklist?: ChecklistTag },
  service: ServiceConfig,
  values: Record<string, string>,
  revision: string,
): ApplyConfigPlanStep {
  configBundleOf(service, revision);
  const { actions } = (service.configuration as NonNullable<ServiceConfig['configuration']>).driver;
  const { version: _revisionFilledPerCall, ...perCall } = values;
  const command = (config: CommandConfig) => toCommandSpec(config, perCall, base.environment);
  return {
    ...base,
    kind: 'apply-config',
    revision,
    driver: {
      type: 'command',
      actions: {
        current: command(actions.current),
        apply: command(actions.apply),
        check: command(actions.check),
      },
    },
  };
}

export const applyConfigDefinition = defineStep(applyConfigRunbookStep, applyConfigPlanStep, {
  compensationViews: [restoreConfigAction],
  describeChecks: (step) => `applies configuration ${step.revision}, then checks the service`,
  resolve: (_step, { base, version, target }) => {
    const { serviceConfig, values } = target();
    return resolveApplyConfigStep(base, serviceConfig, values, version);
  },
});
