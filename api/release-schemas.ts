// The release resource's request and response schemas: one source for validation (R-INPUT), the
// handlers' types and the OpenAPI document.
import { z } from '@hono/zod-openapi';
import semver from 'semver';
import { DELIVERY_OUTCOMES } from '../alerts/alert-deliveries.js';
import { ALERT_KINDS, ALERT_LEVELS } from '../alerts/notifier.js';
import { BAKE_TRIGGERS } from '../analysis/judge-bake.js';
import { NAME_PATTERN } from '../config/config-schema.js';
import {
  ACCESS_ROLES,
  APPROVER_ROLES,
  CHECKLIST_PHASES,
  COMPENSATION_STATUSES,
  DECISION_KINDS,
  DECISION_REFUSALS,
  ESCALATION_LEVELS,
  GUIDED_OPTIONS,
  POST_HOC_DUTIES,
  RELEASE_STATUSES,
  RELEASE_TYPES,
  type ReleaseStatus,
  STEP_STATUSES,
  type StepKind,
} from '../workflows/release-model.js';
import {
  compensationActionView,
  planStepViewSchema,
  stepDefinitions,
} from '../workflows/steps/step-definitions.js';
import { plainText } from './plain-text.js';

/** Release ids are workflow ids: service, type, version and a random suffix (see ReleaseService.start). */
export const RELEASE_ID_PATTERN = /^[a-z0-9][a-z0-9.+-]{0,127}$/;

const STATUS_DESCRIPTIONS: Record<ReleaseStatus, string> = {
  running: 'Walking its steps; nobody is being waited for.',
  'awaiting-approval': 'Waiting at an approval gate; `pendingGate` says which seats are still missing.',
  'waiting-window':
    'Waiting, durably, for its release window; `waitingWindow` says until when and why. Two admins can override it.',
  'waiting-decision':
    'A failure waits for someone with `deploy` to decide retry, skip, rollback or abort; `pendingDecision` says what failed and which options it has.',
  'rolling-back':
    'Undoing what it did, newest change first (`rollbackPlan` shows each compensation as it runs), then verifying the service; `rollback` says why.',
  succeeded:
    'Every step passed. Until `rollbackOpenUntil` (and unless a newer release of the service started) a rollback can still be ordered; it holds no lock meanwhile.',
  failed: 'A step failed and the release stopped; `failure` names the step and the reason.',
  rejected: 'An approver rejected it at a gate; the steps after the gate never ran.',
  cancelled:
    'Cancelled or aborted before its end; what it had changed in the environment it was in was compensated.',
  'rolled-back':
    'A rollback (automatic, ordered or decided) undid what the release did and its verification ran; `rollback` holds the cause, what ran and the checklist.',
  abandoned:
    'Its workflow ended outside Runway (terminated, timed out) or never started; nothing was compensated.',
  'awaiting-docs':
    'A hotfix or emergency whose production work is done, owing its documentation or incident review (`postHoc`); reminders go out until someone attaches it. Holds no lock.',
  expired:
    'A gate waited past its lifetime; the release ended there. Production keeps what the release put there (a gate after production work is marked missing with a P1 alert); a gate elsewhere has its environment compensated.',
  superseded:
    'A newer release of the service started while this one waited at a gate; it ended there (`supersededBy`) as an expiry does: production keeps what it has, another environment is compensated.',
};

export const ReleaseStatusSchema = z.enum(RELEASE_STATUSES).openapi('ReleaseStatus', {
  description: `Where a release stands. ${RELEASE_STATUSES.map((status) => `\`${status}\`: ${STATUS_DESCRIPTIONS[status]}`).join(' ')}`,
  'x-enumDescriptions': STATUS_DESCRIPTIONS,
});

export const ReleaseTypeSchema = z.enum(RELEASE_TYPES).openapi('ReleaseType', {
  description: 'Which runbook the release walks (SPEC 2).',
});

const serviceName = z.string().regex(NAME_PATTERN, 'expected a lower-case service name (a-z, 0-9, -)');

/**
 * Strict semver: MAJOR.MINOR.PATCH, optional -prerelease and +build (R-SEMVER). semver.valid()
 * alone accepts a leading "v" or "=" and surrounding blanks, so the characters are checked first.
 * Lower case only, and short, because the version becomes part of the release id.
 */
/** semver.org's grammar, lower case only. */
const SEMVER_PATTERN =
  /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-((0|[1-9][0-9]*|[0-9]*[a-z-][0-9a-z-]*)(\.(0|[1-9][0-9]*|[0-9]*[a-z-][0-9a-z-]*))*))?(\+([0-9a-z-]+(\.[0-9a-z-]+)*))?$/;

const isStrictSemver = (value: string): boolean =>
  /^[0-9][0-9a-z.+-]*$/.test(value) && semver.valid(value) !== null;

/** A semantic version; `missing` is what to say when there is none. */
const semverText = (missing?: string) =>
  z
    .string(missing ? { error: (issue) => (issue.input === undefined ? missing : undefined) } : undefined)
    .max(40, 'expected at most 40 characters')
    .refine(isStrictSemver, {
      message:
        'expected a semantic version MAJOR.MINOR.PATCH with optional -prerelease and +build, in lower case and without a leading "v" (e.g. 1.4.2, 2.0.0-rc.1)',
    })
    // The pattern documents the shape for clients and fuzzers; the refine above stays the judge.
    .openapi({ example: '1.4.2', pattern: SEMVER_PATTERN.source });
export const versionSchema = semverText();

/** Free text of a config-change request (R-CONFIG-CHANGE): bounded, and never what a record refuses. */
const requestText = (field: string, description: string) =>
  plainText({
    min: 3,
    max: 1000,
    notBlank: 'expected text, not only blanks',
    missing: `expected ${field} for a config-change`,
  }).openapi({ description });

/** What every start carries, whatever its type. */
const startFields = {
  service: serviceName.openapi({ example: 'edm-web' }),
  changeRef: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:/#@+=?&~-]*$/, 'expected a plain reference such as CHG-1234 or a URL')
    .optional()
    .openapi({ description: 'The change request or merge this release ships.', example: 'CHG-1234' }),
  dryRun: z
    .boolean()
    .optional()
    .openapi({ description: 'Resolve and return the plan without starting anything.' }),
};

/** A field a start of this kind does not take is named, with what takes it (R-INPUT). */
const unknownFieldsError = (takes: string) => (issue: { code?: string }) =>
  issue.code === 'unrecognized_keys' ? takes : undefined;

const ShipVersionSchema = z
  .strictObject(
    {
      type: z.enum(['regular', 'hotfix', 'emergency']),
      ...startFields,
      version: semverText('expected the version the release ships'),
    },
    {
      error: unknownFieldsError('only a config-change takes configRevision, reason, impact and rollbackPlan'),
    },
  )
  .openapi('ShipVersion', { description: 'A regular, hotfix or emergency release ships a version.' });

const ConfigChangeStartSchema = z
  .strictObject(
    {
      type: z.literal('config-change'),
      ...startFields,
      configRevision: z
        .string({
          error: (issue) =>
            issue.input === undefined ? 'expected configRevision for a config-change' : undefined,
        })
        // Short, like a version: it becomes part of the release id.
        .max(40, 'expected at most 40 characters')
        .regex(NAME_PATTERN, 'expected a lower-case configuration bundle name (a-z, 0-9, -)')
        .openapi({
          description: 'The configuration bundle of the service to apply.',
          example: 'send-rate-1200',
        }),
      reason: requestText('reason', 'Why the configuration changes.'),
      impact: requestText('impact', 'What the change affects, and who notices.'),
      rollbackPlan: requestText(
        'rollbackPlan',
        'How to go back if it misbehaves (the previous revision is restored automatically on failure).',
      ),
    },
    { error: unknownFieldsError('a config-change applies a configRevision, not a version: leave it out') },
  )
  .openapi('StartConfigChange', {
    description:
      'A config-change (R-CONFIG-CHANGE) applies a configuration bundle, with why, its impact and how to go back.',
  });

/** A start, told apart by its `type`: the fields each type takes are its own. */
// A plain union (anyOf in the document): the branches exclude each other by `type`, and the
// validation hook reports the failures of the branch the caller's `type` chose.
export const StartReleaseSchema = z
  .union([ShipVersionSchema, ConfigChangeStartSchema])
  .openapi('StartRelease');

export const IdempotencyHeadersSchema = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,200}$/, 'expected 1 to 200 visible ASCII characters')
    .optional()
    .openapi({
      param: { name: 'idempotency-key', in: 'header' },
      description:
        'Makes the start safe to retry: the same key (per identity, kept at least 24 hours) with the same body returns the same release — 201 for the answer that started it, 200 with its current view after that; with another body 422; while the first request is still in progress 409.',
      example: '5f0c9a1e-7d5b-4bb8-9d0e-2a4c7f1e8b33',
    }),
});

export const ListReleasesQuerySchema = z.strictObject({
  status: ReleaseStatusSchema.optional(),
  service: serviceName.optional(),
  type: ReleaseTypeSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const ReleaseIdParamsSchema = z.object({
  id: z
    .string()
    .regex(RELEASE_ID_PATTERN, 'expected a release id such as edm-web-regular-1.4.2-a1b2c3')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'edm-web-regular-1.4.2-a1b2c3' }),
});

export const DecisionSchema = z
  .strictObject({
    decision: z.enum(['approve', 'reject']),
    // No NUL: PostgreSQL text cannot hold it, and a comment must never be what a record refuses.
    comment: plainText({ max: 500 }).optional(),
  })
  .openapi('Decision');

// No NUL: PostgreSQL text cannot hold it, and a reason must never be what a record refuses.
const reasonText = plainText({
  min: 1,
  max: 500,
  tooShort: 'expected a reason',
  tooLong: 'expected a reason of at most 500 characters',
  notBlank: 'expected a reason, not only blanks',
}).openapi({
  description: 'Why: kept in the release record and its history.',
  example: 'error rate up after the deploy',
});

export const ReleaseOrderSchema = z.strictObject({ reason: reasonText }).openapi('ReleaseOrder');

export const GuidedDecisionSchema = z
  .strictObject({
    decision: z.enum(GUIDED_OPTIONS).openapi({
      description:
        'retry: run what failed again; skip: go on past it (never a production verification unless the runbook allows); rollback: undo the release; abort: stop and compensate.',
    }),
    reason: reasonText,
  })
  .openapi('GuidedDecision');

// Responses. Dates are ISO 8601 strings; an absent value is null, never a missing field.

const isoDate = z.string().openapi({ format: 'date-time', example: '2026-11-05T02:00:00.000Z' });
const role = z.enum([...ACCESS_ROLES, ...APPROVER_ROLES]);
// A seat at a gate: an approver role, or an access role (two admins confirm a window override).
const seatRole = role;

/** Derived from the step kinds' own schemas (workflows/steps/<kind>/), in the order they are listed. */
export const PlanStepSchema = planStepViewSchema().openapi('PlanStep');

export const RollbackPolicySchema = z
  .object({
    deciders: z.record(z.string(), z.array(z.string())).openapi({
      description:
        'Per environment, who held `deploy` there when the release started: who may order a rollback or an abort, or decide a failure.',
    }),
    twoPersonEnvironments: z
      .array(z.string())
      .openapi({ description: 'Where a rollback needs a second person with `deploy` to order it too.' }),
    afterSuccessMs: z
      .number()
      .int()
      .openapi({ description: 'After success, a rollback may still be ordered this long (0: never).' }),
    guidedSteps: z.array(z.string()).openapi({ description: 'Steps whose failure waits for a decision.' }),
    skippableVerifications: z
      .array(z.string())
      .openapi({ description: 'Production verifications a guided decision may skip.' }),
  })
  .openapi('RollbackPolicy');

export const PlanSchema = z
  .object({
    type: ReleaseTypeSchema,
    description: z.string(),
    steps: z.array(PlanStepSchema),
    rollback: RollbackPolicySchema.nullable().openapi({
      description:
        'Rollback and guided failure, frozen at start; null for releases started before they existed.',
    }),
  })
  .openapi('Plan', { description: 'The runbook resolved for one service and version.' });

export const WindowEstimateSchema = z
  .object({
    stepId: z.string(),
    environment: z.string(),
    outcome: z.enum(['open', 'wait', 'unknown']).openapi({
      description: 'open: it would enter now; wait: not before `at`; unknown: the calendar data has ended.',
    }),
    at: z.string().nullable(),
    reason: z.string().nullable(),
  })
  .openapi('WindowEstimate', {
    description: 'When a window step would let the release through if it were approved now.',
  });

export const VersionRuleSchema = z
  .object({
    rule: z.enum(['greater-than-production', 'patch-bump-of-production', 'none']).openapi({
      description:
        'R-SEMVER: regular and emergency must be greater than what production runs, a hotfix a PATCH bump of it; a config-change ships no version.',
    }),
    environment: z.string().nullable(),
    running: z
      .string()
      .nullable()
      .openapi({ description: 'What the target says it runs; null: nothing, or not asked.' }),
    verdict: z.enum(['passes', 'unknown']).openapi({
      description:
        'A version the rule refuses answers 400, as a start would; unknown: the target could not be asked now.',
    }),
    reason: z.string(),
  })
  .openapi('VersionRule');

export const DryRunSchema = z
  .object({
    dryRun: z.literal(true),
    plan: PlanSchema,
    windowEstimates: z.array(WindowEstimateSchema),
    versionRule: VersionRuleSchema,
  })
  .openapi('DryRun');

const FailureSchema = z.object({ step: z.string(), reason: z.string() });

export const ReleaseSummarySchema = z
  .object({
    id: z.string(),
    type: ReleaseTypeSchema,
    service: z.string(),
    version: z.string(),
    changeRef: z.string().nullable(),
    configChange: z
      .object({
        configRevision: z.string(),
        reason: z.string(),
        impact: z.string(),
        rollbackPlan: z.string(),
        sensitive: z
          .boolean()
          .openapi({ description: 'The bundle is marked sensitive: security reviewed it too.' }),
      })
      .optional()
      .openapi({
        description: 'A config-change only: its request (R-CONFIG-CHANGE); `version` holds the revision.',
      }),
    requestedBy: z.string(),
    status: ReleaseStatusSchema,
    currentStep: z.string().nullable(),
    currentEnvironment: z.string().nullable(),
    environments: z.array(z.string()).openapi({ description: 'Every environment the release touches.' }),
    failure: FailureSchema.nullable(),
    temporalUrl: z.string().openapi({ description: 'The release workflow in Temporal Web.' }),
    createdAt: isoDate,
    updatedAt: isoDate,
    finishedAt: isoDate.nullable(),
  })
  .openapi('ReleaseSummary');

export const PendingGateSchema = z
  .object({
    gateId: z.string(),
    name: z.string(),
    environment: z.string(),
    quorum: z.array(seatRole),
    approvals: z.array(
      z.object({
        approver: z.string(),
        seat: seatRole,
        at: isoDate,
        comment: z.string().nullable(),
      }),
    ),
    missing: z.array(seatRole).openapi({ description: 'Seats nobody has filled yet.' }),
  })
  .openapi('PendingGate');

/** What a step of a release can be: a kind of plan step, or a compensation. */
const stepRecordKinds = () =>
  [...stepDefinitions().map((definition) => definition.kind), 'compensation'] as unknown as [
    StepKind | 'compensation',
    ...(StepKind | 'compensation')[],
  ];

export const StepSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(stepRecordKinds()),
    environment: z.string(),
    status: z.enum(STEP_STATUSES),
    startedAt: isoDate,
    finishedAt: isoDate.nullable(),
    durationMs: z.number().int().nullable(),
    error: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('Step');

export const ApprovalSchema = z
  .object({
    gateId: z.string(),
    approver: z.string(),
    roles: z.array(role),
    decision: z.enum(['approve', 'reject']),
    comment: z.string().nullable(),
    decidedAt: isoDate,
  })
  .openapi('Approval');

export const DecisionRecordSchema = z
  .object({
    seq: z.number().int(),
    gateId: z.string(),
    actor: z.string().openapi({ description: 'Who the decision claimed to come from, verified or not.' }),
    claimedRoles: z.array(z.string()),
    decision: z.string().openapi({
      description: `One of ${DECISION_KINDS.join(', ')} — or what a malformed claim said, refused.`,
    }),
    comment: z.string().nullable(),
    outcome: z.enum(['counted', 'refused']),
    refusal: z.enum(DECISION_REFUSALS).nullable(),
    reason: z.string().nullable(),
    seat: seatRole.nullable(),
    via: z.enum(['update', 'signal']),
    decidedAt: isoDate,
  })
  .openapi('DecisionRecord', {
    description: 'A decision the workflow received, counted or refused (a forged one included), and why.',
  });

export const CompensationSchema = z
  .object({
    id: z.string(),
    stepId: z.string(),
    environment: z.string(),
    description: z.string(),
    action: compensationActionView(),
    status: z.enum(COMPENSATION_STATUSES),
    detail: z.string().nullable(),
    startedAt: isoDate.nullable().openapi({ description: 'When it started; null until it runs.' }),
    finishedAt: isoDate.nullable(),
    durationMs: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'How long it took; null until it finished.' }),
  })
  .openapi('Compensation');

export const PendingDecisionSchema = z
  .object({
    gateId: z.string().openapi({ description: 'What a decision names: `guided:<step or compensation id>`.' }),
    kind: z.enum(['step', 'compensation']),
    subject: z.string().openapi({ description: 'The failed step or compensation.' }),
    environment: z.string(),
    reason: z.string().openapi({ description: 'What failed, and why.' }),
    options: z.array(z.enum(GUIDED_OPTIONS)),
    since: isoDate,
  })
  .openapi('PendingDecision', {
    description: 'A failure waiting for a decision (R-GUIDED): POST …/decision with one of `options`.',
  });

export const PendingRollbackOrderSchema = z
  .object({ requestedBy: z.string(), reason: z.string(), at: isoDate, environment: z.string() })
  .openapi('PendingRollbackOrder', {
    description: 'A rollback ordered by one person, waiting for a second with `deploy` in `environment`.',
  });

export const RollbackReportSchema = z
  .object({
    cause: z.enum(['automatic', 'manual', 'guided']),
    reason: z.string(),
    orderedBy: z
      .array(z.string())
      .openapi({ description: 'Who ordered or decided it; empty when automatic.' }),
    automatic: z
      .object({
        trigger: z.string(),
        measured: z.number(),
        threshold: z.number(),
        unit: z.string(),
        summary: z.string(),
      })
      .nullable()
      .openapi({
        description: 'What tripped an automatic rollback: the measured value against its threshold.',
      }),
    startedAt: isoDate,
    finishedAt: isoDate.nullable(),
    durationMs: z.number().int().nullable(),
    verification: z
      .array(
        z.object({
          environment: z.string(),
          passed: z.boolean(),
          items: z.array(z.object({ name: z.string(), passed: z.boolean(), detail: z.string() })),
        }),
      )
      .openapi({ description: 'The rollback verification checklist per environment (R-RB-VERIFY).' }),
  })
  .openapi('RollbackReport', { description: 'Why and how the release was rolled back.' });

export const ChecklistItemSchema = z
  .object({
    phase: z.enum(CHECKLIST_PHASES),
    item: z
      .string()
      .openapi({ description: 'The item as the checklist names it.', example: 'DB connectivity' }),
    stepId: z.string(),
    environment: z.string(),
    kind: z.enum(['automated', 'manual']).openapi({
      description: 'automated: a command or probe whose result is recorded; manual: someone confirms it.',
    }),
    status: z
      .enum([...STEP_STATUSES, 'pending'])
      .openapi({ description: 'pending: its step has not started.' }),
    checks: z
      .string()
      .nullable()
      .openapi({ description: 'Automated: what the step checks. Null for manual items.' }),
    result: z
      .record(z.string(), z.unknown())
      .nullable()
      .openapi({ description: "Automated: the step's recorded result (its detail). Null until it ends." }),
    error: z.string().nullable(),
    role: seatRole.nullable().openapi({ description: 'Manual: the role that confirms it.' }),
    confirmedBy: z.string().nullable(),
    confirmedAt: isoDate.nullable(),
    note: z.string().nullable(),
  })
  .openapi('ChecklistItem', {
    description: 'One item of the release checklist (R-CHECKLIST), a step of the plan.',
  });

export const AlertDeliverySchema = z
  .object({
    channel: z.string().openapi({ description: 'The configured channel (runway.yml alerts.channels).' }),
    channelType: z.string().openapi({ example: 'wecom' }),
    outcome: z.enum(DELIVERY_OUTCOMES),
    attempts: z.number().int().openapi({ description: 'Attempts made, the last one included.' }),
    error: z
      .string()
      .nullable()
      .openapi({ description: 'Why the last attempt failed; null when delivered.' }),
    at: isoDate,
  })
  .openapi('AlertDelivery', {
    description: 'What became of an alert on one channel: delivered, or failed after its last attempt.',
  });

export const AlertSchema = z
  .object({
    key: z.string(),
    level: z.enum(ALERT_LEVELS).openapi({ description: 'P0 respond within 5 min, P1 15, P2 30, P3 60.' }),
    kind: z.enum(ALERT_KINDS),
    stepId: z.string().nullable(),
    environment: z.string().nullable(),
    message: z.string(),
    audience: z
      .array(z.string())
      .openapi({ description: 'Identities it was meant for (an escalation roster).' }),
    raisedAt: isoDate,
    deliveries: z.array(AlertDeliverySchema).openapi({
      description: 'One entry per routed channel once it ended; a channel still being retried has none yet.',
    }),
  })
  .openapi('Alert', { description: 'An alert the release raised (R-ALERT), with its deliveries.' });

export const SlaSchema = z
  .object({
    deadline: isoDate.openapi({ description: 'Start + the SLA: production work must have ended by then.' }),
    level: z.enum(ALERT_LEVELS),
    breachedAt: isoDate.nullable().openapi({ description: 'When the SLA alert fired; null: it did not.' }),
    stoppedAt: isoDate
      .nullable()
      .openapi({ description: 'When production work ended and the timer stopped; null: still running.' }),
  })
  .openapi('Sla', { description: 'The response SLA of a hotfix or emergency release (R-SLA).' });

export const EscalationNoticeSchema = z
  .object({
    gateId: z.string(),
    level: z.enum(ESCALATION_LEVELS),
    roster: z.array(z.string()).openapi({ description: 'Who was notified.' }),
    at: isoDate,
  })
  .openapi('EscalationNotice', { description: 'A notice sent while a gate waited unanswered (R-ESCALATE).' });

export const PostHocSchema = z
  .object({
    duty: z.enum(POST_HOC_DUTIES),
    owedSince: isoDate,
    reminders: z.number().int().openapi({ description: 'Reminders sent so far.' }),
    attached: z
      .object({ link: z.string(), by: z.string(), at: isoDate, note: z.string().nullable() })
      .nullable()
      .openapi({ description: 'The link once attached (POST /releases/{id}/postmortem); null: still owed.' }),
  })
  .openapi('PostHocDuty', {
    description:
      'What a hotfix (documentation) or emergency (incident review) owes after its production work (R-POSTHOC).',
  });

const bakeTrigger = z.enum(BAKE_TRIGGERS);

export const LiveBakeCheckSchema = z
  .union([
    z.object({
      trigger: bakeTrigger,
      outcome: z.enum(['passed', 'tripped']),
      measured: z.number(),
      threshold: z.number().openapi({ description: 'It trips above this (health: at this many).' }),
      unit: z.enum(['failures', 'percent', 'ms']),
      detail: z.string().openapi({ example: 'error rate 0% (0 of 312 requests); trips above 5%' }),
    }),
    z.object({
      trigger: bakeTrigger,
      outcome: z.literal('no-verdict'),
      detail: z
        .string()
        .openapi({ description: 'Why it could not be judged (too few requests, no baseline…).' }),
    }),
  ])
  .openapi('LiveBakeCheck', { description: 'One rollback trigger as the latest judgement found it.' });

export const LiveBakeSchema = z
  .object({
    step: z.string().openapi({ description: 'The bake step running.' }),
    kind: z.literal('bake'),
    elapsedMs: z
      .number()
      .int()
      .openapi({ description: "How long it has baked (of the plan step's durationMs)." }),
    verdict: z.enum(['healthy', 'unhealthy', 'inconclusive']).nullable().openapi({
      description:
        'The latest judgement, made every probe interval over recent behaviour; null: not judged yet. Unhealthy ends the bake and rolls back.',
    }),
    summary: z.string().nullable().openapi({ example: 'every trigger passed' }),
    checks: z
      .array(LiveBakeCheckSchema)
      .openapi({ description: 'Health, error rate, p95 latency, in that order.' }),
    windowMs: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'The span of recent behaviour the judgement covered.' }),
    traffic: z
      .object({ requests: z.number(), errors: z.number(), p95Ms: z.number().nullable() })
      .nullable()
      .openapi({ description: 'What the judgement saw over `windowMs`; null: traffic is not measured.' }),
    updatedAt: isoDate.openapi({ description: 'When the bake last reported.' }),
  })
  .openapi('LiveBake', {
    description:
      "A running bake's latest judgement (R-RB-TRIGGER-AUTO), as its activity last reported it to Temporal. In a release view while a bake runs in an environment the caller reads; null otherwise, and when Temporal does not answer within a second.",
  });

export const ReleaseSchema = ReleaseSummarySchema.extend({
  waitingWindow: z.object({ until: isoDate.nullable(), reason: z.string() }).nullable().openapi({
    description: 'While `waiting-window`: the instant it waits for (null: for the calendar) and why.',
  }),
  pendingGate: PendingGateSchema.nullable(),
  steps: z.array(StepSchema).openapi({ description: 'Steps as they ran, with their timings.' }),
  approvals: z.array(ApprovalSchema).openapi({ description: 'The decisions that counted, in order.' }),
  decisions: z
    .array(DecisionRecordSchema)
    .openapi({ description: 'Every decision received, counted or refused, in order.' }),
  rollbackPlan: z.array(CompensationSchema).openapi({
    description: 'The compensations recorded so far, in the order they would run, with what ran.',
  }),
  pendingDecision: PendingDecisionSchema.nullable(),
  pendingRollbackOrder: PendingRollbackOrderSchema.nullable(),
  rollback: RollbackReportSchema.nullable(),
  rollbackOpenUntil: isoDate.nullable().openapi({
    description: 'After success: until when a rollback may still be ordered (unless a newer release starts).',
  }),
  sla: SlaSchema.nullable(),
  escalations: z.array(EscalationNoticeSchema).openapi({ description: 'Escalation notices, oldest first.' }),
  postHoc: PostHocSchema.nullable(),
  supersededBy: z
    .string()
    .nullable()
    .openapi({ description: 'When `superseded`: the newer release that replaced this one.' }),
  plan: PlanSchema,
  checklist: z.array(ChecklistItemSchema).openapi({
    description:
      'The checklist (R-CHECKLIST): the plan steps tagged as items, in plan order, with their results.',
  }),
  alerts: z.array(AlertSchema).openapi({ description: 'Every alert the release raised, oldest first.' }),
  live: LiveBakeSchema.nullable(),
}).openapi('Release');

export const ReleaseListSchema = z.object({ releases: z.array(ReleaseSummarySchema) }).openapi('ReleaseList');

export const DecisionResultSchema = z
  .object({
    counted: z.literal(true),
    missing: z.array(seatRole).openapi({ description: 'Seats still empty after this decision.' }),
  })
  .openapi('DecisionResult');

export const OrderResultSchema = z
  .object({
    accepted: z.literal(true),
    decision: z.enum(DECISION_KINDS),
    missing: z.array(role).openapi({
      description:
        'Roles still to confirm it: `deploy` while a two-person rollback waits for its second person.',
    }),
    message: z.string().openapi({ description: 'What happens next, in words.' }),
  })
  .openapi('OrderResult');

export type PlanJson = z.infer<typeof PlanSchema>;
export type ReleaseSummaryJson = z.infer<typeof ReleaseSummarySchema>;
export type ReleaseJson = z.infer<typeof ReleaseSchema>;
