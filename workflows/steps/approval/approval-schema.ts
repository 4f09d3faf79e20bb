// The approval kind's schemas and resolution: a gate whose quorum distinct people on the roster
// frozen at start must fill (R-APPROVE, R-TWO-PERSON).
import { z } from '@hono/zod-openapi';
import { approvalRoster } from '../../../runbooks/approval-roster.js';
import { runbookStepBase } from '../../../runbooks/runbook-step-base.js';
import { APPROVER_ROLES } from '../../release-model.js';
import { planStepBase, roleSchema, rosterEntrySchema } from '../plan-schemas.js';
import { defineStep } from '../step-definition.js';

export const approvalRunbookStep = z.strictObject({
  ...runbookStepBase,
  kind: z.literal('approval'),
  /** One seat per entry; each must be filled by a different person holding that role (R-TWO-PERSON). */
  quorum: z.array(z.enum(APPROVER_ROLES)).min(1),
  /**
   * More seats when the configuration bundle a config-change applies is marked sensitive
   * (R-CONFIG-CHANGE: security reviews those), decided when the release is planned.
   */
  sensitiveQuorum: z.array(z.enum(APPROVER_ROLES)).optional(),
});

export const approvalPlanStep = z.object({
  ...planStepBase,
  kind: z.literal('approval'),
  /** Each entry is one seat that a distinct person holding that role must fill. */
  quorum: z.array(roleSchema),
  /**
   * The people who held one of the quorum's roles in the gate's environment when the release
   * started. A decision counts only for someone on it who still holds the role when deciding.
   */
  roster: z
    .array(rosterEntrySchema)
    .openapi({ description: 'Who may fill the seats, frozen when the release started.' }),
});
export type ApprovalPlanStep = z.infer<typeof approvalPlanStep>;

export const approvalDefinition = defineStep(approvalRunbookStep, approvalPlanStep, {
  // Plans resolved by the v1 engine have no roster.
  toView: (step) => ({ ...step, roster: step.roster ?? [] }),
  describeChecks: (step) => `approval by ${step.quorum.join(' and ')}`,
  resolve: (step, { base, config, sensitive }) => {
    const quorum = sensitive ? [...step.quorum, ...(step.sensitiveQuorum ?? [])] : step.quorum;
    return { ...base, kind: 'approval', quorum, roster: approvalRoster(config, step.environment, quorum) };
  },
});
