// The window kind's schemas and resolution: waits for the environment's release window (R-WINDOW);
// the override is who may let the release through anyway, with a reason (two admins by default).
import { z } from '@hono/zod-openapi';
import { approvalRoster } from '../../../runbooks/approval-roster.js';
import { runbookStepBase } from '../../../runbooks/runbook-step-base.js';
import { ACCESS_ROLES, APPROVER_ROLES } from '../../release-model.js';
import { planStepBase, roleSchema, rosterEntrySchema } from '../plan-schemas.js';
import { defineStep } from '../step-definition.js';

export const windowRunbookStep = z.strictObject({
  ...runbookStepBase,
  kind: z.literal('window'),
  policy: z
    .strictObject({ windows: z.boolean().default(true), freezes: z.boolean().default(true) })
    .default({ windows: true, freezes: true }),
  /** A window closing sooner than this is not entered: the deploy waits for the next one. */
  minimumRemainingMinutes: z.number().int().min(0).max(240).default(15),
  recheckMinutes: z.number().int().min(1).max(1440).default(60),
  override: z
    .strictObject({ quorum: z.array(z.enum([...ACCESS_ROLES, ...APPROVER_ROLES])).min(1) })
    .default({ quorum: ['admin', 'admin'] }),
});

export const windowPlanStep = z.object({
  ...planStepBase,
  kind: z.literal('window'),
  /** Which calendar rules a release type obeys (SPEC 2: regular both, hotfix freezes only, emergency none). */
  policy: z.object({ windows: z.boolean(), freezes: z.boolean() }).openapi({
    description: 'Which calendar rules this release type obeys: release windows, freezes.',
  }),
  /** A window that closes sooner than this after the check is not entered. */
  minimumRemainingMs: z.number().int(),
  /** How often the calendar is asked again when it cannot answer (its data has ended). */
  recheckMs: z.number().int(),
  /** A gate that lets people skip the wait: its quorum (e.g. two admins) and the roster frozen at start. */
  override: z.object({ quorum: z.array(roleSchema), roster: z.array(rosterEntrySchema) }),
});
export type WindowPlanStep = z.infer<typeof windowPlanStep>;

export const windowDefinition = defineStep(windowRunbookStep, windowPlanStep, {
  describeChecks: () => 'the release calendar: inside a release window, outside any freeze',
  resolve: (step, { base, config }) => ({
    ...base,
    kind: 'window',
    policy: { ...step.policy },
    minimumRemainingMs: step.minimumRemainingMinutes * 60_000,
    recheckMs: step.recheckMinutes * 60_000,
    override: {
      quorum: step.override.quorum,
      roster: approvalRoster(config, step.environment, step.override.quorum),
    },
  }),
});
