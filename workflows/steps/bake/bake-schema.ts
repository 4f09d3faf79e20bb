// The bake kind's schemas and resolution: watches the new version after its deploy for the
// service's bake duration and rolls back by itself when a trigger trips (R-RB-TRIGGER-AUTO).
import { z } from '@hono/zod-openapi';
import { name } from '../../../config/config-schema.js';
import { probeOf, settingsOf } from '../../../runbooks/resolve-analysis.js';
import { runbookStepBase } from '../../../runbooks/runbook-step-base.js';
import {
  bakeSettingsSchema,
  bakeThresholdsSchema,
  planStepBase,
  probeSchema,
  viewOf,
} from '../plan-schemas.js';
import { defineStep } from '../step-definition.js';

/** `baseline` names the baseline step to compare latency with (checked by the runbook schema). */
export const bakeRunbookStep = z.strictObject({
  ...runbookStepBase,
  kind: z.literal('bake'),
  baseline: name.optional(),
  /** At most this long, when shorter than the service's bake (an emergency watches briefly). */
  maxSeconds: z.number().int().min(1).max(86_400).optional(),
});

export const bakePlanStep = z.object({
  ...planStepBase,
  kind: z.literal('bake'),
  probe: probeSchema,
  durationMs: z.number().int(),
  thresholds: bakeThresholdsSchema,
  settings: bakeSettingsSchema,
  /** The baseline step whose measurement is the latency reference; none: latency is not judged. */
  baselineStepId: z.string().optional(),
});
export type BakePlanStep = z.infer<typeof bakePlanStep>;

export const bakeDefinition = defineStep(bakeRunbookStep, bakePlanStep, {
  view: viewOf(bakePlanStep, {
    baselineStepId: z
      .string()
      .nullable()
      .openapi({ description: 'The baseline the latency is compared with; null: latency is not judged.' }),
  }),
  toView: (step) => ({ ...step, baselineStepId: step.baselineStepId ?? null }),
  describeChecks: (step) =>
    `health, error rate and latency against the baseline over ${Math.round(step.durationMs / 1000)} s`,
  checkInRunbook: (step, earlier) => {
    if (step.baseline === undefined) return undefined;
    const baseline = earlier.find((candidate) => candidate.id === step.baseline);
    return baseline?.kind === 'baseline' && baseline.environment === step.environment
      ? undefined
      : {
          field: 'baseline',
          message: `expected the id of a baseline step before this one in ${step.environment}`,
        };
  },
  resolve: (step, { base, target }) => {
    const { serviceConfig, url } = target();
    const { analysis } = serviceConfig;
    const bakeMs = analysis.bakeSeconds * 1000;
    return {
      ...base,
      kind: 'bake',
      probe: probeOf(serviceConfig, url, step.environment),
      durationMs: step.maxSeconds === undefined ? bakeMs : Math.min(bakeMs, step.maxSeconds * 1000),
      thresholds: { ...analysis.thresholds },
      settings: settingsOf(serviceConfig),
      ...(step.baseline ? { baselineStepId: step.baseline } : {}),
    };
  },
});
