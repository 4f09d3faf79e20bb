// The step kinds the engine knows, each defined in its own folder. Every list about kinds (which
// change a target, which verify, which undo restores data) is computed here from their traits, so
// a kind added to STEP_KINDS is known everywhere; a kind missing from it fails to compile.
import type {
  CompensationAction,
  CompensationEntry,
  PlanStep,
  ReleaseInput,
  ReleasePlan,
} from '../release-model.js';
import { applyConfigStep } from './apply-config/apply-config-step.js';
import { approvalStep } from './approval/approval-step.js';
import { bakeStep } from './bake/bake-step.js';
import { baselineStep } from './baseline/baseline-step.js';
import { commandStep } from './command/command-step.js';
import { confirmStep } from './confirm/confirm-step.js';
import { deployStep } from './deploy/deploy-step.js';
import { migrateStep } from './migrate/migrate-step.js';
import type { StepContext, StepDetail } from './step-context.js';
import type {
  CompensationKind,
  CompensationKinds,
  CompensationResult,
  ReadBackDrivers,
  StepKind,
  StepKindTraits,
} from './step-kind.js';
import { verifyStep } from './verify/verify-step.js';
import { windowStep } from './window/window-step.js';

export type { StepContext, StepDetail } from './step-context.js';

// biome-ignore lint/suspicious/noExplicitAny: each kind names its own compensation kinds.
type AnyKind<S extends PlanStep> = StepKind<S, any>;

const STEP_KINDS: { [Kind in PlanStep['kind']]: AnyKind<Extract<PlanStep, { kind: Kind }>> } = {
  deploy: deployStep,
  command: commandStep,
  verify: verifyStep,
  approval: approvalStep,
  window: windowStep,
  baseline: baselineStep,
  bake: bakeStep,
  migrate: migrateStep,
  confirm: confirmStep,
  'apply-config': applyConfigStep,
};

/** Every kind of undo, from the kinds that record them: one missing here fails to compile. */
const COMPENSATION_KINDS: CompensationKinds<CompensationAction['kind']> = {
  ...deployStep.compensations,
  ...applyConfigStep.compensations,
  ...migrateStep.compensations,
} as CompensationKinds<CompensationAction['kind']> & {};

/** Kinds added by registerStepKind (a test's own kind, say), beside those listed above. */
const registered = new Map<string, AnyKind<PlanStep>>();
const registeredUndos = new Map<string, CompensationKind<CompensationAction>>();

/**
 * Adds a step kind defined in its own folder to the engine: a workflow bundle whose entry imports the
 * kind's step file has it. Its API side is registered with registerStepDefinition.
 */
export function registerStepKind(kind: string, definition: StepKind<never, never>): void {
  if (Object.hasOwn(STEP_KINDS, kind) || registered.has(kind))
    throw new Error(`step kind ${kind} is registered twice`);
  registered.set(kind, definition as unknown as AnyKind<PlanStep>);
  for (const [action, undo] of Object.entries(definition.compensations ?? {})) {
    registeredUndos.set(action, undo as CompensationKind<CompensationAction>);
  }
}

function kindOf(step: Pick<PlanStep, 'kind'>): AnyKind<PlanStep> {
  const kind = Object.hasOwn(STEP_KINDS, step.kind)
    ? (STEP_KINDS[step.kind] as AnyKind<PlanStep>)
    : registered.get(step.kind);
  if (!kind) throw new Error(`no step kind ${step.kind}`);
  return kind;
}

export const traitsOf = (step: Pick<PlanStep, 'kind'>): StepKindTraits => kindOf(step).traits;

export function executeStep(context: StepContext, step: PlanStep): Promise<StepDetail> {
  return kindOf(step).execute(context, step);
}

export function compensationKindOf(action: CompensationAction): CompensationKind<CompensationAction> {
  const undo = Object.hasOwn(COMPENSATION_KINDS, action.kind)
    ? (COMPENSATION_KINDS[action.kind] as CompensationKind<CompensationAction>)
    : registeredUndos.get(action.kind);
  if (!undo) throw new Error(`no compensation kind ${action.kind}`);
  return undo;
}

/** Runs one compensation. Throws when it could not be carried out (the caller decides what follows). */
export function runCompensation(input: ReleaseInput, entry: CompensationEntry): Promise<CompensationResult> {
  return compensationKindOf(entry.action).run(input, entry, entry.action);
}

/** The drivers of `environment`'s steps that read back what a rollback restored there (first of each). */
export function readBackDriversIn(plan: ReleasePlan, environment: string): ReadBackDrivers {
  const drivers: ReadBackDrivers = {};
  for (const step of plan.steps.filter((candidate) => candidate.environment === environment)) {
    for (const [name, driver] of Object.entries(kindOf(step).readBack?.(step) ?? {})) {
      (drivers as Record<string, unknown>)[name] ??= driver;
    }
  }
  return drivers;
}

/** The environments a plan changes: starting the release needs the deploy role in each (R-AUTH). */
export function environmentsDeployedBy(plan: ReleasePlan): string[] {
  return [
    ...new Set(plan.steps.filter((step) => traitsOf(step).changesTarget).map((step) => step.environment)),
  ];
}

/**
 * The environments a plan touches: those it changes, in the order it first changes them, then those it
 * only checks or waits in. A release checking production before it starts (R-CHECKLIST) still reads
 * TEST → STAGING → PROD.
 */
export function environmentsOf(plan: ReleasePlan): string[] {
  return [...new Set([...environmentsDeployedBy(plan), ...plan.steps.map((step) => step.environment)])];
}
