// Frozen: the domain model as the v1 release workflow (`releaseWorkflow`) knew it. Releases started
// before the v2 engine still run on that code, so its helpers never change. Types that v2 shares
// unchanged come from v2's model: a type changes no history.
import type {
  CommandSpec,
  HttpCheck,
  RecordedApproval as RecordedApprovalV2,
  ReleaseInput as ReleaseInputV2,
  StepRecord as StepRecordV2,
} from '../release-model.js';

export type { CommandSpec, HttpCheck };

export type ReleaseType = 'regular' | 'hotfix' | 'emergency';

/**
 * A release is `running` while it walks its steps, `awaiting-approval` while a gate waits for
 * people, and ends in exactly one of the others.
 */
export type ReleaseStatus =
  | 'running'
  | 'awaiting-approval'
  | 'succeeded'
  | 'failed'
  | 'rejected'
  | 'cancelled';
export const isActiveStatus = (status: ReleaseStatus): boolean =>
  status === 'running' || status === 'awaiting-approval';

export type StepStatus = 'running' | 'succeeded' | 'failed' | 'skipped' | 'compensated';

/** Access roles (R-AUTH) and the approver roles a gate's quorum asks for (R-APPROVE). */
export const ACCESS_ROLES = ['read', 'operate', 'deploy', 'admin'] as const;
export const APPROVER_ROLES = ['pm', 'tech-lead', 'on-call-lead'] as const;
export type AccessRole = (typeof ACCESS_ROLES)[number];
export type ApproverRole = (typeof APPROVER_ROLES)[number];
export type Role = AccessRole | ApproverRole;

export type Colour = 'blue' | 'green';
export const otherColour = (colour: Colour): Colour => (colour === 'blue' ? 'green' : 'blue');

export interface CommandDriverSpec {
  type: 'command';
  actions: { inspect: CommandSpec; deploy: CommandSpec; check: CommandSpec; switch: CommandSpec };
}
export type DriverSpec = CommandDriverSpec;

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

/** What a v1 release was started with: v2's input without what v2 added, with v1's type and plan. */
export type ReleaseInput = Pick<
  ReleaseInputV2,
  'releaseId' | 'service' | 'version' | 'changeRef' | 'requestedBy'
> & {
  type: ReleaseType;
  plan: ReleasePlan;
};

export interface ApprovalDecision {
  gateId: string;
  approver: string;
  /** Roles the approver holds in the gate's environment, as established by the API's authentication. */
  roles: Role[];
  decision: 'approve' | 'reject';
  comment?: string;
}

/** A counted approval: v2's, with v1's seats. */
export type RecordedApproval = Omit<RecordedApprovalV2, 'seat' | 'roles'> & {
  roles: Role[];
  seat: ApproverRole;
};

export interface PendingGate {
  gateId: string;
  name: string;
  environment: string;
  quorum: ApproverRole[];
  approvals: RecordedApproval[];
  missing: ApproverRole[];
}

/** A step as it ran: v2's record, with v1's kinds. */
export type StepRecord = Omit<StepRecordV2, 'kind'> & { kind: StepKind | 'compensation' };

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
