// The confirm kind's schemas and resolution: a manual checklist item (R-CHECKLIST) that someone
// holding its role in its environment confirms with a note, judged like an approval.
import { z } from '@hono/zod-openapi';
import { approvalRoster } from '../../../runbooks/approval-roster.js';
import { runbookStepBase } from '../../../runbooks/runbook-step-base.js';
import { ACCESS_ROLES, APPROVER_ROLES } from '../../release-model.js';
import { planStepBase, roleSchema, rosterEntrySchema } from '../plan-schemas.js';
import { defineStep } from '../step-definition.js';

export const confirmRunbookStep = z.strictObject({
  ...runbookStepBase,
  kind: z.literal('confirm'),
  role: z.enum([...ACCESS_ROLES, ...APPROVER_ROLES]),
  prompt: z.string().min(1).max(300),
});

export const confirmPlanStep = z.object({
  ...planStepBase,
  kind: z.literal('confirm'),
  role: roleSchema,
  /** What the person confirms, in words. */
  prompt: z.string(),
  roster: z
    .array(rosterEntrySchema)
    .openapi({ description: 'Who may confirm it, frozen when the release started.' }),
});
export type ConfirmPlanStep = z.infer<typeof confirmPlanStep>;

export const confirmDefinition = defineStep(confirmRunbookStep, confirmPlanStep, {
  describeChecks: (step) => step.prompt,
  confirmedBy: (step) => step.role,
  resolve: (step, { base, config }) => ({
    ...base,
    kind: 'confirm',
    role: step.role,
    prompt: step.prompt,
    roster: approvalRoster(config, step.environment, [step.role]),
  }),
});
