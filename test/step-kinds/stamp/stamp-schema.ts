// A test-only step kind, defined in this folder alone: it stamps a label on its environment's
// target, and its undo takes the stamp off. This file is its API side: schemas, resolution, view.
import { z } from '@hono/zod-openapi';
import { runbookStepBase } from '../../../runbooks/runbook-step-base.js';
import { planStepBase, viewOf } from '../../../workflows/steps/plan-schemas.js';
import type { StepDefinition } from '../../../workflows/steps/step-definition.js';
import { registerStepDefinition } from '../../../workflows/steps/step-definitions.js';

export const stampRunbookStep = z.strictObject({
  ...runbookStepBase,
  kind: z.literal('stamp'),
  label: z.string().regex(/^[a-z-]+$/),
});

export const stampPlanStep = z.object({
  ...planStepBase,
  kind: z.literal('stamp'),
  /** The label, with the version it stamps for. */
  label: z.string().openapi({ description: 'What the step stamps on its target.' }),
});
export type StampPlanStep = z.infer<typeof stampPlanStep>;

/** Takes the release's stamp off, while it is still there. */
export const unstampAction = z.object({ kind: z.literal('unstamp'), label: z.string() });

export const stampDefinition = {
  kind: 'stamp',
  runbookStep: stampRunbookStep,
  planStep: stampPlanStep,
  view: viewOf(stampPlanStep),
  compensationViews: [unstampAction],
  describeChecks: (step) => `stamps ${step.label}`,
  resolve: (step, { base, version }) => ({ ...base, kind: 'stamp', label: `${step.label}-${version}` }),
} satisfies StepDefinition<z.infer<typeof stampRunbookStep>, StampPlanStep>;

registerStepDefinition(stampDefinition);
