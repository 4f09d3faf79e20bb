// The baseline kind's schemas and resolution: measures the running version just before a deploy,
// the latency a later bake compares with (R-RB-TRIGGER-AUTO).
import { z } from '@hono/zod-openapi';
import { probeOf, settingsOf } from '../../../runbooks/resolve-analysis.js';
import { runbookStepBase } from '../../../runbooks/runbook-step-base.js';
import { bakeSettingsSchema, planStepBase, probeSchema } from '../plan-schemas.js';
import { defineStep } from '../step-definition.js';

export const baselineRunbookStep = z.strictObject({ ...runbookStepBase, kind: z.literal('baseline') });

export const baselinePlanStep = z.object({
  ...planStepBase,
  kind: z.literal('baseline'),
  probe: probeSchema,
  durationMs: z.number().int(),
  settings: bakeSettingsSchema,
});
export type BaselinePlanStep = z.infer<typeof baselinePlanStep>;

export const baselineDefinition = defineStep(baselineRunbookStep, baselinePlanStep, {
  describeChecks: (step) => `latency of the running version over ${Math.round(step.durationMs / 1000)} s`,
  resolve: (step, { base, target }) => {
    const { serviceConfig, url } = target();
    return {
      ...base,
      kind: 'baseline',
      probe: probeOf(serviceConfig, url, step.environment),
      durationMs: serviceConfig.analysis.baselineSeconds * 1000,
      settings: settingsOf(serviceConfig),
    };
  },
});
