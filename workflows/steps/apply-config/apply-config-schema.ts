// The apply-config kind's schemas and resolution (R-CONFIG-CHANGE): applies the release's
// configuration revision through the service's configuration driver; the previous revision is its undo.
import { z } from '@hono/zod-openapi';
import { resolveApplyConfigStep } from '../../../runbooks/resolve-config-step.js';
import { runbookStepBase } from '../../../runbooks/runbook-step-base.js';
import { commandSchema, planStepBase, viewOf } from '../plan-schemas.js';
import type { StepDefinition } from '../step-definition.js';

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

export const applyConfigDefinition = {
  kind: 'apply-config',
  runbookStep: applyConfigRunbookStep,
  planStep: applyConfigPlanStep,
  view: viewOf(applyConfigPlanStep),
  compensationViews: [restoreConfigAction],
  resolve: (_step, { base, version, target }) => {
    const { serviceConfig, values } = target();
    return resolveApplyConfigStep(base, serviceConfig, values, version);
  },
} satisfies StepDefinition<z.infer<typeof applyConfigRunbookStep>, ApplyConfigPlanStep>;
