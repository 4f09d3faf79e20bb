// The rules of a release, in one place: what a gate id names, which environment each thing a release
// records belongs to, who may undo what, what an expiry or a newer release does, and what a reader of
// some environments may see. Pure data and functions, read by the workflow (deciding), the API
// (checking before it asks the workflow) and the views (hiding); docs/release-rules.md states them as
// the invariants the model test checks (test/model/). A new rule adds its invariant there first.
//
// Releases started before these rules (no `runway-release-rules` patch marker) keep the rules they
// started with: `rules.current` is false for them, and each caller keeps its old path.
import type {
  CompensationEntry,
  DecisionKind,
  PlanStep,
  ReleasePlan,
  ReleaseState,
  ReleaseStatus,
  RollbackPolicy,
  StepRecord,
} from './release-model.js';
import { traitsOf } from './steps/step-kinds.js';

/** The patch id of the rules below; never reuse it for another change. */
export const RELEASE_RULES_PATCH = 'runway-release-rules';
/** The same rules, asked for before the start check (releases started since): see release-workflow.ts. */
export const RULES_FIRST_PATCH = 'runway-release-rules-first';

// ---- Gates ------------------------------------------------------------------------------------

/** Orders about the whole release (rollback, abort, supersede, the post-hoc document). */
export const RELEASE_ORDER_GATE = 'release';
/** A failure waiting for a person is answered at `guided:<step or compensation id>`. */
export const GUIDED_GATE_PREFIX = 'guided:';

export type GateRef =
  | { kind: 'order' }
  | { kind: 'guided'; subject: string }
  /** An approval, a manual confirmation or a window's override: a step of the plan. */
  | { kind: 'step'; stepId: string };

export function gateRefOf(gateId: string): GateRef {
  if (gateId === RELEASE_ORDER_GATE) return { kind: 'order' };
  if (gateId.startsWith(GUIDED_GATE_PREFIX))
    return { kind: 'guided', subject: gateId.slice(GUIDED_GATE_PREFIX.length) };
  return { kind: 'step', stepId: gateId };
}

export const guidedGateId = (subject: string): string => `${GUIDED_GATE_PREFIX}${subject}`;

/** A plan step whose id is a gate people answer (its kind says so). */
export const isGateStep = (step: Pick<PlanStep, 'kind'>): boolean => traitsOf(step).gate;

/** Statuses in which a release waits at a gate and has changed nothing in production since. */
export const SUPERSEDABLE_STATUSES: readonly ReleaseStatus[] = ['awaiting-approval', 'waiting-window'];

// ---- Where things belong ----------------------------------------------------------------------

/** The environment of a plan step, or of a compensation (`<step id>.<what>`), or of a guided gate's subject. */
export function subjectEnvironment(
  plan: { steps: readonly Pick<ReleasePlan['steps'][number], 'id' | 'environment'>[] },
  rollbackPlan: readonly Pick<CompensationEntry, 'id' | 'environment'>[],
  subject: string,
): string | undefined {
  const step = plan.steps.find((candidate) => candidate.id === subject);
  if (step) return step.environment;
  return rollbackPlan.find((entry) => entry.id === subject)?.environment;
}

/**
 * The environment a decision is about: the one it recorded (decisions since these rules carry it),
 * else its gate's step or subject. Undefined for what no one environment owns — such a decision is
 * shown only to readers of every environment of the release.
 */
export function decisionEnvironment(
  decision: { gateId: string; environment?: string | null },
  plan: Pick<ReleasePlan, 'steps'>,
  rollbackPlan: readonly Pick<CompensationEntry, 'id' | 'environment'>[],
): string | undefined {
  if (decision.environment) return decision.environment;
  const gate = gateRefOf(decision.gateId);
  if (gate.kind === 'step') return subjectEnvironment(plan, rollbackPlan, gate.stepId);
  if (gate.kind === 'guided') return subjectEnvironment(plan, rollbackPlan, gate.subject);
  return undefined;
}

// ---- Undoing ----------------------------------------------------------------------------------

/** The first half of a two-person order lapses after this, or at any change of the release's status. */
export const FIRST_HALF_LIFETIME_MS = 15 * 60_000;

/** What an order or a guided decision would undo: the environments whose pending compensations it runs. */
export type UndoScope =
  | { kind: 'everything' }
  | { kind: 'environment'; environment: string }
  | { kind: 'nothing' };

export function environmentsUndone(rollbackPlan: readonly CompensationEntry[], scope: UndoScope): string[] {
  if (scope.kind === 'nothing') return [];
  const pending = rollbackPlan.filter(
    (entry) =>
      entry.status === 'pending' && (scope.kind === 'everything' || entry.environment === scope.environment),
  );
  return [...new Set(pending.map((entry) => entry.environment))];
}

/**
 * The environments where an order that undoes `environments` needs a second person with deploy
 * (R-TWO-PERSON): one rule for every order with that effect — rollback, abort, a guided rollback or
 * abort — whatever the path.
 */
export function twoPersonEnvironmentsAmong(
  environments: readonly string[],
  policy: Pick<RollbackPolicy, 'twoPersonEnvironments'>,
): string[] {
  return environments.filter((environment) => policy.twoPersonEnvironments.includes(environment));
}

/** The decisions that undo, and what each undoes when it takes effect. */
export const UNDOING_DECISIONS: readonly DecisionKind[] = ['rollback', 'abort'];

/** Steps that change a target (their kind says so): what a release's production work consists of. */
const changesTarget = (step: Pick<PlanStep, 'kind'> | undefined): boolean =>
  step !== undefined && traitsOf(step).changesTarget;

/** A step that changes a target in `environment` has ended well. */
export function changedTargetIn(
  plan: Pick<ReleasePlan, 'steps'>,
  steps: readonly StepRecord[],
  environment: string,
): boolean {
  return steps.some(
    (record) =>
      record.environment === environment &&
      record.status === 'succeeded' &&
      changesTarget(plan.steps.find((step) => step.id === record.id)),
  );
}

/**
 * R-EXPIRE: an expiry or a supersession ends the release, and undoes what it changed only outside the
 * protected (two-person) environments: apart from the automatic triggers of a bake, nothing automatic
 * undoes production work — the release ends with what it waited for marked missing, and an alert.
 */
export function automaticEndingUndoes(
  status: ReleaseStatus,
  environment: string,
  policy: Pick<RollbackPolicy, 'twoPersonEnvironments'> | undefined,
): boolean {
  if (status !== 'expired' && status !== 'superseded') return true;
  return !(policy?.twoPersonEnvironments ?? ['production']).includes(environment);
}

// ---- Reading ----------------------------------------------------------------------------------

/** Text shown in place of what belongs to an environment the reader cannot read. */
export const HIDDEN = 'in an environment you cannot read';

/** The environment a release's SLA is about: its production work (R-SLA), the last environment it changes. */
export function slaEnvironment(plan: Pick<ReleasePlan, 'steps'>): string | undefined {
  const changing = plan.steps.filter(changesTarget);
  return changing.at(-1)?.environment ?? plan.steps.at(-1)?.environment;
}

/** Whatever the state says of the release's current step belongs to that step's environment. */
export const currentEnvironment = (state: Pick<ReleaseState, 'environment'>): string | undefined =>
  state.environment;
