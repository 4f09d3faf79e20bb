// What a kind of step is to the engine: what it says about itself, how it runs, and how each undo
// it records runs. Each kind is one object in its own folder (steps/<kind>/); steps/step-kinds.ts
// lists them, and every list the engine or the API keeps about kinds is computed from their traits.
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { RestoredState } from '../../activities/rollback-verification-activities.js';
import type {
  CompensationAction,
  CompensationEntry,
  ConfigDriverSpec,
  PlanStep,
  ReleaseInput,
  RollingDriverSpec,
} from '../release-model.js';
import type { StepExecutor } from './step-context.js';

export interface StepKindTraits {
  /** It changes a target: starting the release needs `deploy` in its environment (R-AUTH). */
  changesTarget: boolean;
  /** It is for services with a database of their own: left out of other services' plans (R-RB-DB). */
  needsDatabase: boolean;
  /** It verifies production when it runs there: a guided decision skips it only when the policy says so. */
  verifies: boolean;
  /** Its record's `previousVersion` is what ran before it: the version a rollback must bring back. */
  recordsPreviousVersion: boolean;
  /** Its id is a gate people answer (approvals, overrides, confirmations): decisions may name it. */
  gate: boolean;
}

/** The drivers that read back what a rollback restored (R-RB-VERIFY). */
export interface ReadBackDrivers {
  rolling?: RollingDriverSpec;
  config?: ConfigDriverSpec;
}

export type CompensationResult = { status: 'done' | 'skipped'; detail: string };

/** One kind of undo: how it runs, and what the rollback verification then expects back. */
export interface CompensationKind<A extends CompensationAction> {
  run(input: ReleaseInput, entry: CompensationEntry, action: A): Promise<CompensationResult>;
  /** Adds to `restored` what this undo put back; `previousVersion` reads what the deploy recorded. */
  restores(action: A, restored: RestoredState, previousVersion: () => string | null): void;
  /** It restores data (a database), which the checklist's data consistency item answers for. */
  restoresData?: true;
}

export type CompensationKinds<K extends CompensationAction['kind']> = {
  [Kind in K]: CompensationKind<Extract<CompensationAction, { kind: Kind }>>;
};

export interface StepKind<S extends PlanStep, K extends CompensationAction['kind'] = never> {
  traits: StepKindTraits;
  execute: StepExecutor<S>;
  /** The drivers of this step that can read back, after a rollback, what its undo restored. */
  readBack?: (step: S) => ReadBackDrivers;
  compensations?: CompensationKinds<K>;
}

/** Where a step's activities act: the release, its service and the step's environment. */
export const releaseTarget = (input: ReleaseInput, step: Pick<PlanStep, 'environment'>) => ({
  releaseId: input.releaseId,
  service: input.service,
  environment: step.environment,
});

/** The plan step an undo belongs to. */
export const stepUndoneBy = <S extends PlanStep>(input: ReleaseInput, entry: CompensationEntry): S =>
  input.plan.steps.find((candidate) => candidate.id === entry.stepId) as S;

/** A kind that changes nothing, verifies nothing and is no gate, unless its traits say otherwise. */
const NO_TRAITS: StepKindTraits = {
  changesTarget: false,
  needsDatabase: false,
  verifies: false,
  recordsPreviousVersion: false,
  gate: false,
};

/** A step kind from its executor and what sets it apart: traits, read-back drivers, undos. */
export function stepKind<S extends PlanStep, K extends CompensationAction['kind'] = never>(
  execute: StepExecutor<S>,
  more: Omit<StepKind<S, K>, 'traits' | 'execute'> & { traits?: Partial<StepKindTraits> } = {},
): StepKind<S, K> {
  return { ...more, traits: { ...NO_TRAITS, ...more.traits }, execute };
}

/**
 * The answer of an undo the target refused because someone changed it since the release did:
 * undoing now would overwrite their change, so it is left as it is. Other errors are not answered.
 */
export function leftAsItIs(error: unknown): CompensationResult | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : undefined;
  if (cause instanceof ApplicationFailure && cause.type === 'TargetChanged') {
    return { status: 'skipped', detail: `left as it is: ${cause.message}` };
  }
  return undefined;
}
