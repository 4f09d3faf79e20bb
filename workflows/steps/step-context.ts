// What every step executor works with: the release's input and state, its compensations, its
// decision desk and its record. A step kind is defined in its own folder: see step-kind.ts.
import type { CompensationLog } from '../compensations.js';
import type { DecisionDesk } from '../decision-desk.js';
import type { RecordWriter } from '../record-writer.js';
import type { PlanStep, ReleaseInput, ReleaseState, ReleaseStatus } from '../release-model.js';

export interface StepContext {
  input: ReleaseInput;
  state: ReleaseState;
  compensations: CompensationLog;
  desk: DecisionDesk;
  records: RecordWriter;
  /** `current`: the release follows release-rules.ts; false for releases started before them. */
  rules: { current: boolean };
  /** Sets the release's status (it reaches the record and search attributes with the next write). */
  setStatus(status: ReleaseStatus): void;
}

export type StepDetail = Record<string, unknown>;

export type StepExecutor<S extends PlanStep> = (context: StepContext, step: S) => Promise<StepDetail>;
