// The step records of a release: a step starting, ending, or failing reaches the state at once and
// the record with the next write.
import { ApplicationFailure, setCurrentDetails } from '@temporalio/workflow';
import type { RecordWriter } from './record-writer.js';
import type { PlanStep, StepRecord } from './release-model.js';
import type { StepContext } from './steps/step-kinds.js';

export const now = (): string => new Date().toISOString();

export function startStep(context: StepContext, step: PlanStep, index: number): StepRecord {
  const { state } = context;
  state.currentStep = step.id;
  state.environment = step.environment;
  context.setStatus(state.status);
  setCurrentDetails(
    `**${step.name}** (${step.environment}) — step ${index + 1} of ${context.input.plan.steps.length}`,
  );
  const record: StepRecord = {
    id: step.id,
    name: step.name,
    kind: step.kind,
    environment: step.environment,
    status: 'running',
    startedAt: now(),
  };
  putStep(context, record);
  return record;
}

/** The step's end reaches the record with the next transition (the next step's start, or the end). */
export function finishStep(context: StepContext, record: StepRecord): void {
  putStep(context, record);
}

export function putStep(context: StepContext, record: StepRecord): void {
  const { steps } = context.state;
  const index = steps.findIndex((step) => step.id === record.id);
  if (index >= 0) steps[index] = record;
  else steps.push(record);
  context.records.stepChanged(record.id);
}

export function throwIfRecordRejected(records: RecordWriter): void {
  const rejection = records.takeRejection();
  if (rejection !== undefined) {
    throw ApplicationFailure.nonRetryable(
      `the release record could not be written: ${rejection}`,
      'RecordRejected',
    );
  }
}
