// The release's domain model, shared by the workflow, the activities and the API.
// Pure data and types only: this module is bundled into the workflow sandbox.
import type { z } from 'zod';
import type { restoreConfigAction } from './steps/apply-config/apply-config-schema.js';
import type {
  DriverSpec,
  restoreInstanceAction,
  retireColourAction,
  switchTrafficBackAction,
} from './steps/deploy/deploy-schema.js';
import type { migrateDownAction } from './steps/migrate/migrate-schema.js';
import type {
  BakeSettings,
  BakeThresholds,
  HttpCheck,
  ProbeSpec,
  RosterEntry,
} from './steps/plan-schemas.js';
import type { BuiltInPlanStep } from './steps/step-definitions.js';
import type { WindowPlanStep } from './steps/window/window-schema.js';

/** `config-change` (R-CONFIG-CHANGE) applies a named configuration bundle instead of a version. */
export const RELEASE_TYPES = ['regular', 'hotfix', 'emergency', 'config-change'] as const;
export type ReleaseType = (typeof RELEASE_TYPES)[number];

/**
 * The closed set of release statuses. A release is `running` while it walks its steps,
 * `awaiting-approval` while a gate waits for people, `waiting-decision` while a failure waits for
 * someone to say retry, skip, roll back or abort (R-GUIDED), `rolling-back` while it undoes what
 * it did, and ends in exactly one of the others. `rolled-back`: a rollback (automatic, ordered or
 * decided) undid the release and its verification ran.
 * `abandoned`: its workflow ended outside Runway (terminated, timed out) or never started; nothing
 * was compensated, unlike `cancelled`.
 * `awaiting-docs`: a hotfix or emergency whose production work is done, waiting for its documentation
 * or incident review (R-POSTHOC); it holds no lock. `expired`: a gate waited past its lifetime;
 * `superseded`: a newer release of the service replaced it while it waited at a gate (R-EXPIRE).
 */
export const RELEASE_STATUSES = [
  'running',
  'awaiting-approval',
  'waiting-window',
  'waiting-decision',
  'rolling-back',
  'succeeded',
  'failed',
  'rejected',
  'cancelled',
  'rolled-back',
  'abandoned',
  'awaiting-docs',
  'expired',
  'superseded',
] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

export const ACTIVE_RELEASE_STATUSES: readonly ReleaseStatus[] = [
  'running',
  'awaiting-approval',
  'waiting-window',
  'waiting-decision',
  'rolling-back',
  'awaiting-docs',
];
export const isActiveStatus = (status: ReleaseStatus): boolean => ACTIVE_RELEASE_STATUSES.includes(status);

/**
 * The statuses that hold the service's lock (one release per service): those of releases that can
 * still change a target. A status added later that only waits for paperwork must not be listed.
 */
export const LOCK_HOLDING_STATUSES: readonly ReleaseStatus[] = [
  'running',
  'awaiting-approval',
  'waiting-window',
  'waiting-decision',
  'rolling-back',
];
export const holdsServiceLock = (status: ReleaseStatus): boolean => LOCK_HOLDING_STATUSES.includes(status);

export const STEP_STATUSES = ['running', 'succeeded', 'failed', 'skipped', 'compensated'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** Access roles (R-AUTH) and the approver roles a gate's quorum asks for (R-APPROVE). */
export const ACCESS_ROLES = ['read', 'operate', 'deploy', 'admin'] as const;
export const APPROVER_ROLES = ['pm', 'tech-lead', 'on-call-lead', 'security', 'ops-lead'] as const;
export type AccessRole = (typeof ACCESS_ROLES)[number];
export type ApproverRole = (typeof APPROVER_ROLES)[number];
export type Role = AccessRole | ApproverRole;

export const COLOURS = ['blue', 'green'] as const;
export type Colour = (typeof COLOURS)[number];
export const otherColour = (colour: Colour): Colour => (colour === 'blue' ? 'green' : 'blue');

/** The seed's checklist phases: before, during and after the deployment. */
export const CHECKLIST_PHASES = ['pre', 'during', 'post'] as const;
export type ChecklistPhase = (typeof CHECKLIST_PHASES)[number];

export type { ApplyConfigPlanStep, ConfigDriverSpec } from './steps/apply-config/apply-config-schema.js';
export type { ApprovalPlanStep } from './steps/approval/approval-schema.js';
export type { BakePlanStep } from './steps/bake/bake-schema.js';
export type { BaselinePlanStep } from './steps/baseline/baseline-schema.js';
export type { CommandPlanStep } from './steps/command/command-schema.js';
export type { ConfirmPlanStep } from './steps/confirm/confirm-schema.js';
export type {
  BlueGreenDeployPlanStep,
  DeployPlanStep,
  DriverSpec,
  RollingDeployPlanStep,
  RollingDriverSpec,
} from './steps/deploy/deploy-schema.js';
export type { MigratePlanStep, MigrationSpec } from './steps/migrate/migrate-schema.js';
// The plan's steps: each kind's schema (workflows/steps/<kind>/<kind>-schema.ts) is the single
// source of its type. Type-only re-exports: no schema code reaches the workflow bundle.
export type {
  BakeSettings,
  BakeThresholds,
  ChecklistTag,
  CommandSpec,
  HttpCheck,
  ProbeSpec,
  RosterEntry,
} from './steps/plan-schemas.js';
export type { VerifyPlanStep } from './steps/verify/verify-schema.js';
export type { WindowPlanStep } from './steps/window/window-schema.js';

/** The blue-green driver's actions (R-RB-BLUEGREEN). */
export type CommandDriverSpec = DriverSpec;
/** Which calendar rules a release type obeys (SPEC 2: regular both, hotfix freezes only, emergency none). */
export type WindowPolicy = WindowPlanStep['policy'];

/** The kinds listed in steps/step-definitions.ts: a kind is added there, not here. */
export type PlanStep = BuiltInPlanStep;

/** What a failed step may lead to (R-GUIDED): `guided` waits for a person's decision. */
export type OnFailure = 'compensate' | 'guided';

/** The calendar's answer for one environment at one instant (R-WINDOW). */
export type WindowCheck =
  | { kind: 'open'; windowEnd: string | null }
  | { kind: 'wait'; until: string; reason: string }
  /** The calendar's data has ended: it will not guess; wait for an override or a calendar update. */
  | { kind: 'unknown'; reason: string };
export type StepKind = PlanStep['kind'];

/** A runbook resolved against the configuration at start: it never changes under a running release. */
export interface ReleasePlan {
  type: ReleaseType;
  description: string;
  steps: PlanStep[];
  /** Rollback and guided failure (R-RB-*, R-GUIDED); absent in releases started before they existed. */
  rollback?: RollbackPolicy;
  /**
   * SLA, gate lifetime, escalation, post-hoc duty and announcements (R-SLA, R-EXPIRE, R-ESCALATE,
   * R-POSTHOC, R-ALERT); absent in releases started before they existed, which behave as before.
   */
  oversight?: ReleaseOversight;
}

// ---- Oversight (R-SLA, R-EXPIRE, R-ESCALATE, R-POSTHOC) -------------------------------------------

/** Alert levels (R-ALERT) with the seed's response times: P0 5 min, P1 15, P2 30, P3 60. */
export const ALERT_LEVELS = ['P0', 'P1', 'P2', 'P3'] as const;
export type AlertLevel = (typeof ALERT_LEVELS)[number];

export const ESCALATION_LEVELS = ['L1', 'L2', 'L3'] as const;
export type EscalationLevelName = (typeof ESCALATION_LEVELS)[number];

export interface EscalationStep {
  level: EscalationLevelName;
  /** From the moment the gate opened: L1 0, L2 15 min, L3 45 min by default. */
  afterMs: number;
  /** The identities notified at this level. */
  roster: string[];
}

/** Who is told about a decision left waiting, and when (R-ESCALATE). Frozen at start. */
export interface EscalationLadder {
  levels: EscalationStep[];
  /** After the last level: notify it again this often (1 h by default) until the gate is answered or expires. */
  repeatEveryMs: number;
}

export interface ReleaseOversight {
  /** Production work must end within `limitMs` of the start, or an alert at `level` fires (R-SLA). */
  sla?: { limitMs: number; level: AlertLevel };
  /** A gate pending longer than this ends the release `expired` (R-EXPIRE). */
  gateLifetimeMs: number;
  escalation: EscalationLadder;
  /** Owed after success (R-POSTHOC): the release waits `awaiting-docs`, reminding on this cadence. */
  postHoc?: { duty: PostHocDuty; reminderEveryMs: number };
}
export const POST_HOC_DUTIES = ['documentation', 'incident-review'] as const;
export type PostHocDuty = (typeof POST_HOC_DUTIES)[number];

/**
 * Who may order a rollback or an abort, or decide a guided failure, and for how long a succeeded
 * release can still be rolled back. Frozen at start, like approval rosters.
 */
export interface RollbackPolicy {
  /** Per environment the plan touches: the people holding `deploy` there when the release started. */
  deciders: Record<string, RosterEntry[]>;
  /** Environments where a rollback needs a second person with `deploy` to confirm it. */
  twoPersonEnvironments: string[];
  /** After success, a rollback may still be ordered this long (0: never), unless a newer release started. */
  afterSuccessMs: number;
  /** Steps whose failure waits for a decision rather than compensating at once. */
  guidedSteps: string[];
  /** Steps a guided decision may skip even though they verify production. */
  skippableVerifications: string[];
  /** Per environment: what the rollback verification checklist checks (R-RB-VERIFY). */
  verification: Record<string, RollbackVerificationSpec>;
}

/** The rollback verification checklist of one environment (R-RB-VERIFY). */
export interface RollbackVerificationSpec {
  url: string;
  checks: HttpCheck[];
  /** A short probe of the service after the rollback: errors and latency back to normal. */
  probe: ProbeSpec;
  settings: BakeSettings;
  thresholds: BakeThresholds;
  durationMs: number;
}

export interface ReleaseInput {
  releaseId: string;
  type: ReleaseType;
  service: string;
  version: string;
  changeRef?: string;
  requestedBy: string;
  plan: ReleasePlan;
  /** Timings the release takes at start; absent in releases started before they existed. */
  timings?: ReleaseTimings;
  /** A config-change release's request (R-CONFIG-CHANGE); `version` then holds the revision. */
  configChange?: ConfigChangeRequest;
}

export interface ConfigChangeRequest {
  /** The named configuration bundle of the service to apply. */
  configRevision: string;
  reason: string;
  impact: string;
  rollbackPlan: string;
  /** It touches configuration marked sensitive: security reviews it too. */
  sensitive: boolean;
}

export interface ReleaseTimings {
  /** A running activity silent this long is given to another worker (its worker died). */
  heartbeatTimeoutMs: number;
}

/** Activity options from the release's timings; none for releases that have none (the defaults apply). */
export function timingOptions(input: Pick<ReleaseInput, 'timings'>): { heartbeatTimeout?: number } {
  return input.timings ? { heartbeatTimeout: input.timings.heartbeatTimeoutMs } : {};
}

// ---- Decisions (R-APPROVE, R-SOD) ---------------------------------------------------------------

/**
 * What the API vouches for: who decided what, on which release and gate, when, once (decisionId).
 * `roles` are the roles the API found for the actor in the gate's environment at that moment.
 */
export interface DecisionClaim {
  v: 1;
  decisionId: string;
  releaseId: string;
  gateId: string;
  actor: string;
  roles: Role[];
  decision: DecisionKind;
  comment?: string;
  issuedAt: string;
}

/**
 * approve and reject answer a gate; rollback and abort are orders about the whole release (gate
 * `release`, R-RB-TRIGGER-MANUAL); retry, skip, rollback and abort answer a guided failure (its gate
 * is the failure's `gateId`, R-GUIDED).
 */
/**
 * `confirm` answers a manual checklist item (its gate is the confirm step's id, R-CHECKLIST);
 * `document` attaches the post-hoc documentation link (gate `release`, R-POSTHOC; the link is the
 * claim's comment); `supersede` is the API's order when a newer release of the service starts
 * (gate `release`, R-EXPIRE; the comment names the newer release).
 */
export const DECISION_KINDS = [
  'approve',
  'reject',
  'rollback',
  'abort',
  'retry',
  'skip',
  'confirm',
  'document',
  'supersede',
] as const;
export type DecisionKind = (typeof DECISION_KINDS)[number];
/** The gate id of orders about the whole release (release-rules.ts names every gate). */
export { RELEASE_ORDER_GATE } from './release-rules.js';
export const GUIDED_OPTIONS = ['retry', 'skip', 'rollback', 'abort'] as const;
export type GuidedOption = (typeof GUIDED_OPTIONS)[number];

/**
 * A claim as the API signed it: `claim` is the exact JSON text that was signed (HMAC-SHA256 with
 * the key `keyId`), so no re-serialisation can change what is verified. The workflow verifies it in
 * a local activity: the key never enters the history.
 */
export interface SignedDecision {
  claim: string;
  keyId: string;
  signature: string;
}

/** Why a decision did not count. */
export const DECISION_REFUSALS = [
  'malformed',
  'unverified',
  'stale',
  'replayed',
  'wrong-release',
  'gate-closed',
  'requester',
  'not-eligible',
  'already-decided',
  'seats-taken',
  /** A rollback ordered after its window closed, or after a newer release of the service started. */
  'rollback-closed',
  /** What the release's policy does not allow, e.g. skipping a production verification. */
  'not-allowed',
] as const;
export type DecisionRefusal = (typeof DECISION_REFUSALS)[number];

export type DecisionVerdict =
  | { outcome: 'counted'; decision: DecisionKind; seat?: Role; missing: Role[] }
  | { outcome: 'refused'; refusal: DecisionRefusal; reason: string };

/** Every decision the workflow received, counted or refused, as the record keeps it. */
export interface DecisionRecord {
  /** Position in the release's decisions, from 1. */
  seq: number;
  decisionId: string | null;
  gateId: string;
  /** Who the claim said decided, verified or not. */
  actor: string;
  /** The roles it claimed. */
  roles: string[];
  decision: string;
  comment?: string;
  at: string;
  outcome: 'counted' | 'refused';
  refusal?: DecisionRefusal;
  reason?: string;
  /** The seat it filled, for a counted approval. */
  seat?: Role;
  /** Through an update (the caller got the verdict) or a bare signal. */
  via: 'update' | 'signal';
  /**
   * The environment the decision is about (its gate's, its order's): who may read it. Absent in
   * decisions recorded before it was kept; release-rules.ts then works it out from the gate.
   */
  environment?: string;
}

export interface RecordedApproval {
  approver: string;
  /** The verified roles: the claim's, the roster's and the quorum's in common. */
  roles: Role[];
  seat: Role;
  at: string;
  comment?: string;
}

export interface PendingGate {
  gateId: string;
  name: string;
  environment: string;
  quorum: Role[];
  approvals: RecordedApproval[];
  missing: Role[];
}

// ---- Compensations (R-COMPENSATE) ---------------------------------------------------------------

/** What undoes a change to a target: data, so the API can show it and anyone can read it. Each
 * kind of undo is defined, with its arguments, by the step kind that records it. */
export type CompensationAction =
  | z.infer<typeof switchTrafficBackAction>
  | z.infer<typeof retireColourAction>
  | z.infer<typeof restoreInstanceAction>
  | z.infer<typeof migrateDownAction>
  | z.infer<typeof restoreConfigAction>;

export const COMPENSATION_STATUSES = ['pending', 'running', 'done', 'skipped', 'failed'] as const;
export type CompensationStatus = (typeof COMPENSATION_STATUSES)[number];

export interface CompensationEntry {
  id: string;
  /** The step whose change this undoes. */
  stepId: string;
  environment: string;
  description: string;
  action: CompensationAction;
  status: CompensationStatus;
  detail?: string;
  /** When it ran (absent until then): the API shows what ran and how long it took. */
  startedAt?: string;
  finishedAt?: string;
}

// ---- State ----------------------------------------------------------------------------------------

export interface StepRecord {
  id: string;
  name: string;
  kind: StepKind | 'compensation';
  environment: string;
  status: StepStatus;
  startedAt: string;
  finishedAt?: string;
  detail?: Record<string, unknown>;
  error?: string;
}

export interface ReleaseFailure {
  step: string;
  reason: string;
  /** The environment the failure is about, when it is not the step's (or there is no step). */
  environment?: string;
  /** Every environment the reason speaks of, when it is more than one: for readers of all of them. */
  environments?: string[];
}

export interface ReleaseState {
  releaseId: string;
  status: ReleaseStatus;
  currentStep?: string;
  /** The environment the current step works in. */
  environment?: string;
  pendingGate?: PendingGate;
  /** While the release waits for a release window: until when, and why. */
  waitingWindow?: { until: string | null; reason: string };
  steps: StepRecord[];
  failure?: ReleaseFailure;
  /** Every decision received, counted or refused, and why (R-SOD): the history explains itself. */
  decisions: DecisionRecord[];
  /** The compensations recorded so far, in the order they would run. */
  rollbackPlan: CompensationEntry[];
  /** A failure waiting for a person's decision (R-GUIDED). */
  pendingDecision?: PendingDecision;
  /** A production rollback ordered by one person, waiting for a second (two-person rule). */
  pendingRollbackOrder?: PendingRollbackOrder;
  /** Why and how the release was rolled back, once a rollback began. */
  rollback?: RollbackReport;
  /** After success: until when a rollback may still be ordered. */
  rollbackOpenUntil?: string;
  /** The SLA's deadline and, once passed, when the alert fired (R-SLA). */
  sla?: { deadline: string; level: AlertLevel; breachedAt?: string; stoppedAt?: string };
  /** Every escalation notice sent for a waiting gate (R-ESCALATE). */
  escalations?: EscalationNotice[];
  /** The post-hoc duty (R-POSTHOC): owed since, reminders sent, and what was attached. */
  postHoc?: PostHocState;
  /** The newer release that superseded this one (R-EXPIRE). */
  supersededBy?: string;
}

export interface EscalationNotice {
  gateId: string;
  /** The gate's environment: who may read the notice. Absent in notices recorded before it was kept. */
  environment?: string;
  level: EscalationLevelName;
  roster: string[];
  at: string;
}

export interface PostHocState {
  duty: PostHocDuty;
  owedSince: string;
  reminders: number;
  /** `note`: what the person attaching it said, if anything. */
  attached?: { link: string; by: string; at: string; note?: string };
}

export interface PendingDecision {
  /** The gate id a decision names: `guided:<step id>` or `guided:<compensation id>`. */
  gateId: string;
  kind: 'step' | 'compensation';
  /** The failed step or compensation. */
  subject: string;
  environment: string;
  reason: string;
  options: GuidedOption[];
  since: string;
}

export interface PendingRollbackOrder {
  requestedBy: string;
  reason: string;
  at: string;
  environment: string;
  /** What waits for its second person (absent: a rollback, as before other orders needed one). */
  kind?: 'rollback' | 'abort';
  /** Where it was ordered: `release`, or the guided gate it answers. */
  gateId?: string;
  /** The status it was given in and when, by the workflow's clock: it lapses at a change of either past its lifetime. */
  status?: ReleaseStatus;
  since?: string;
}

/** What tripped an automatic rollback: the trigger, the measured value and the threshold. */
export interface RollbackTriggerReport {
  trigger: string;
  measured: number;
  threshold: number;
  unit: string;
  summary: string;
}

export interface RollbackVerificationItem {
  name: string;
  passed: boolean;
  detail: string;
}

export interface RollbackVerificationReport {
  environment: string;
  passed: boolean;
  items: RollbackVerificationItem[];
}

export interface RollbackReport {
  cause: 'automatic' | 'manual' | 'guided';
  /** The environment its cause is about (the bake's, the order's): who may read the reason. */
  environment?: string;
  reason: string;
  /** Who ordered or decided it (none for an automatic one). */
  orderedBy: string[];
  automatic?: RollbackTriggerReport;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  verification: RollbackVerificationReport[];
}

export interface ReleaseOutcome {
  status: ReleaseStatus;
  failure?: ReleaseFailure;
}
