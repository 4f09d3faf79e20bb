// Frozen: the domain model as the v1 release workflow (`releaseWorkflow`) knew it. Releases started
// before the v2 engine still run on that code, so its types and helpers never change.

export const RELEASE_TYPES = ['regular', 'hotfix', 'emergency'] as const;
export type ReleaseType = (typeof RELEASE_TYPES)[number];

/**
 * The closed set of release statuses. A release is `running` while it walks its steps,
 * `awaiting-approval` while a gate waits for people, and ends in exactly one of the others.
 */
export const RELEASE_STATUSES = [
  'running',
  'awaiting-approval',
  'succeeded',
  'failed',
  'rejected',
  'cancelled',
] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

export const ACTIVE_RELEASE_STATUSES: readonly ReleaseStatus[] = ['running', 'awaiting-approval'];
export const isActiveStatus = (status: ReleaseStatus): boolean => ACTIVE_RELEASE_STATUSES.includes(status);

export const STEP_STATUSES = ['running', 'succeeded', 'failed', 'skipped', 'compensated'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** Access roles (R-AUTH) and the approver roles a gate's quorum asks for (R-APPROVE). */
export const ACCESS_ROLES = ['read', 'operate', 'deploy', 'admin'] as const;
export const APPROVER_ROLES = ['pm', 'tech-lead', 'on-call-lead'] as const;
export type AccessRole = (typeof ACCESS_ROLES)[number];
export type ApproverRole = (typeof APPROVER_ROLES)[number];
export type Role = AccessRole | ApproverRole;

export const COLOURS = ['blue', 'green'] as const;
export type Colour = (typeof COLOURS)[number];
export const otherColour = (colour: Colour): Colour => (colour === 'blue' ? 'green' : 'blue');

/** A command a driver or a step runs: an argument array, never a shell string (R-INPUT). */
export interface CommandSpec {
  argv: string[];
  timeoutMs: number;
  /** Environment variables for the command, each taken from the worker's environment by name (R-SECRETS). */
  envFrom: Record<string, string>;
}

export interface CommandDriverSpec {
  type: 'command';
  actions: { inspect: CommandSpec; deploy: CommandSpec; check: CommandSpec; switch: CommandSpec };
}
export type DriverSpec = CommandDriverSpec;

export interface HttpCheck {
  name: string;
  path: string;
  expectStatus: number;
  /** When set, the JSON body's `version` field must equal the release's version. */
  expectVersion: boolean;
  timeoutMs: number;
}

interface PlanStepBase {
  id: string;
  name: string;
  environment: string;
}
export interface DeployPlanStep extends PlanStepBase {
  kind: 'deploy';
  strategy: 'blue-green';
  driver: DriverSpec;
}
export interface CommandPlanStep extends PlanStepBase {
  kind: 'command';
  command: CommandSpec;
  maxAttempts: number;
}
export interface VerifyPlanStep extends PlanStepBase {
  kind: 'verify';
  url: string;
  checks: HttpCheck[];
  attempts: number;
  intervalMs: number;
}
export interface ApprovalPlanStep extends PlanStepBase {
  kind: 'approval';
  /** Each entry is one seat that a distinct person holding that role must fill. */
  quorum: ApproverRole[];
}
export type PlanStep = DeployPlanStep | CommandPlanStep | VerifyPlanStep | ApprovalPlanStep;
export type StepKind = PlanStep['kind'];

/** A runbook resolved against the configuration at start: it never changes under a running release. */
export interface ReleasePlan {
  type: ReleaseType;
  description: string;
  steps: PlanStep[];
}

export interface ReleaseInput {
  releaseId: string;
  type: ReleaseType;
  service: string;
  version: string;
  changeRef?: string;
  requestedBy: string;
  plan: ReleasePlan;
}

export interface ApprovalDecision {
  gateId: string;
  approver: string;
  /** Roles the approver holds in the gate's environment, as established by the API's authentication. */
  roles: Role[];
  decision: 'approve' | 'reject';
  comment?: string;
}

export interface RecordedApproval {
  approver: string;
  roles: Role[];
  seat: ApproverRole;
  at: string;
  comment?: string;
}

export interface PendingGate {
  gateId: string;
  name: string;
  environment: string;
  quorum: ApproverRole[];
  approvals: RecordedApproval[];
  missing: ApproverRole[];
}

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
}

export interface ReleaseState {
  releaseId: string;
  status: ReleaseStatus;
  currentStep?: string;
  pendingGate?: PendingGate;
  steps: StepRecord[];
  failure?: ReleaseFailure;
  /** Approval signals that did not count, and why (R-SOD): kept so the history explains itself. */
  refusedApprovals: { approver: string; reason: string; at: string }[];
}

export interface ReleaseOutcome {
  status: ReleaseStatus;
  failure?: ReleaseFailure;
}
