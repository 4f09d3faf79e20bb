// A runbook is data: the ordered steps of one release type. All three types share this schema and
// the one engine that walks it (workflows/release-workflow.ts). Adding a kind of step means a case
// here, in the plan resolver and in the engine's `runStep`.
import { z } from 'zod';
import { name } from '../config/config-schema.js';
import { ACCESS_ROLES, APPROVER_ROLES, CHECKLIST_PHASES, RELEASE_TYPES } from '../workflows/release-model.js';

const stepBase = {
  id: name,
  name: z.string().min(1).optional(),
  environment: name,
  /**
   * `guided`: a failure waits for someone with deploy to decide retry, skip, roll back or abort
   * (R-GUIDED); default: compensate the environment and end.
   */
  onFailure: z.enum(['compensate', 'guided']).default('compensate'),
  /** A production verification or bake may be skipped in guided failure only when this says so. */
  allowSkip: z.boolean().default(false),
  /** The checklist item this step is (R-CHECKLIST): phase and the item's name. */
  checklist: z.strictObject({ phase: z.enum(CHECKLIST_PHASES), item: z.string().min(1).max(100) }).optional(),
};

/**
 * A manual checklist item (R-CHECKLIST): someone holding `role` in the step's environment confirms
 * it through the API with a note; the workflow judges it like an approval.
 */
export const confirmStepSchema = z.strictObject({
  ...stepBase,
  kind: z.literal('confirm'),
  role: z.enum([...ACCESS_ROLES, ...APPROVER_ROLES]),
  prompt: z.string().min(1).max(300),
});

/** Applies the release's configuration revision (R-CONFIG-CHANGE); the previous revision is its undo. */
export const applyConfigStepSchema = z.strictObject({ ...stepBase, kind: z.literal('apply-config') });

export const deployStepSchema = z.strictObject({ ...stepBase, kind: z.literal('deploy') });

export const commandStepSchema = z.strictObject({
  ...stepBase,
  kind: z.literal('command'),
  /** The name of a command in the service's configuration, e.g. `integration-tests`. */
  command: name,
  attempts: z.number().int().min(1).max(10).default(1),
  /** Left out of the plan of a service that has no such command (e.g. database checks for edm-sender). */
  optional: z.boolean().default(false),
});

export const verifyStepSchema = z.strictObject({
  ...stepBase,
  kind: z.literal('verify'),
  /**
   * Only these checks, by name, from the service's `verification` and `checks` (R-CHECKLIST); default:
   * all of `verification`. A service lacking one of them has this step left out of its plan.
   */
  checks: z.array(name).min(1).optional(),
  attempts: z.number().int().min(1).max(100).default(5),
  intervalSeconds: z.number().positive().max(600).default(3),
});

export const approvalStepSchema = z.strictObject({
  ...stepBase,
  kind: z.literal('approval'),
  /** One seat per entry; each must be filled by a different person holding that role (R-TWO-PERSON). */
  quorum: z.array(z.enum(APPROVER_ROLES)).min(1),
  /**
   * More seats when the configuration bundle a config-change applies is marked sensitive
   * (R-CONFIG-CHANGE: security reviews those), decided when the release is planned.
   */
  sensitiveQuorum: z.array(z.enum(APPROVER_ROLES)).optional(),
});

/**
 * Waits for the environment's release window (R-WINDOW). The policy says which calendar rules this
 * release type obeys; the override is who may let it through anyway, with a reason (R-TWO-PERSON:
 * two distinct people by default, never the requester).
 */
export const windowStepSchema = z.strictObject({
  ...stepBase,
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

/** Measures the running version just before a deploy: the latency the bake compares with. */
export const baselineStepSchema = z.strictObject({ ...stepBase, kind: z.literal('baseline') });

/**
 * Watches the new version after its deploy for the service's bake duration and rolls back by itself
 * when a trigger trips (R-RB-TRIGGER-AUTO). `baseline` names the baseline step to compare latency with.
 */
export const bakeStepSchema = z.strictObject({
  ...stepBase,
  kind: z.literal('bake'),
  baseline: name.optional(),
  /** At most this long, when shorter than the service's bake (an emergency watches briefly). */
  maxSeconds: z.number().int().min(1).max(86_400).optional(),
});

/**
 * Backs up the service's database, then migrates it to what the release's version carries
 * (R-RB-DB). Left out of the plan of a service without a `database`; its undo migrates back down.
 */
export const migrateStepSchema = z.strictObject({ ...stepBase, kind: z.literal('migrate') });

export const runbookStepSchema = z.discriminatedUnion('kind', [
  migrateStepSchema,
  baselineStepSchema,
  bakeStepSchema,
  deployStepSchema,
  commandStepSchema,
  verifyStepSchema,
  approvalStepSchema,
  windowStepSchema,
  confirmStepSchema,
  applyConfigStepSchema,
]);

export const runbookSchema = z
  .strictObject({
    type: z.enum(RELEASE_TYPES),
    description: z.string().min(1),
    steps: z.array(runbookStepSchema).min(1),
  })
  .superRefine((runbook, context) => {
    const seen = new Set<string>();
    runbook.steps.forEach((step, index) => {
      if (seen.has(step.id)) {
        context.addIssue({
          code: 'custom',
          path: ['steps', index, 'id'],
          message: `step id "${step.id}" is used twice`,
        });
      }
      seen.add(step.id);
      if (step.kind === 'bake' && step.baseline !== undefined) {
        const baseline = runbook.steps.slice(0, index).find((earlier) => earlier.id === step.baseline);
        if (baseline?.kind !== 'baseline' || baseline.environment !== step.environment) {
          context.addIssue({
            code: 'custom',
            path: ['steps', index, 'baseline'],
            message: `expected the id of a baseline step before this one in ${step.environment}`,
          });
        }
      }
    });
  });

export type Runbook = z.infer<typeof runbookSchema>;
export type RunbookStep = z.infer<typeof runbookStepSchema>;
