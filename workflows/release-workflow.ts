// The v2 release engine (workflow type `releaseWorkflowV2`), one for every release type: a small
// state machine over the resolved runbook's steps. Each step kind has its executor (steps/); what a
// failure leads to is decided in one place (failure-policy.ts); compensations are data
// (compensations.ts); decisions arrive through the decision desk; the record follows every
// transition (record-writer.ts). Deterministic: no I/O, no wall clock beyond the workflow clock.
// Changing what this code does for releases already running needs patched(): see the README.
import {
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  log,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { CompensationLog, runCompensation } from './compensations.js';
import { DecisionDesk } from './decision-desk.js';
import { decideAfterFailure, describe, type FailureDecision } from './failure-policy.js';
import { markdownText } from './markdown-text.js';
import { RecordWriter } from './record-writer.js';
import { approvalSignal, decideUpdate, releaseStateQuery } from './release-messages.js';
import type {
  PlanStep,
  ReleaseInput,
  ReleaseOutcome,
  ReleaseState,
  ReleaseStatus,
  StepRecord,
} from './release-model.js';
import { environmentKey, statusKey } from './search-attributes.js';
import { executeStep, type StepContext } from './steps/index.js';

const now = (): string => new Date().toISOString();

export async function releaseWorkflowV2(input: ReleaseInput): Promise<ReleaseOutcome> {
  const state: ReleaseState = {
    releaseId: input.releaseId,
    status: 'running',
    steps: [],
    decisions: [],
    rollbackPlan: [],
  };
  const records = new RecordWriter(input, state);
  const desk = new DecisionDesk(input, state, records);
  const searchAttributes = new SearchAttributeMirror();
  const context: StepContext = {
    input,
    state,
    compensations: new CompensationLog(state),
    desk,
    records,
    setStatus: (status) => {
      state.status = status;
      searchAttributes.update(state);
    },
  };

  setHandler(releaseStateQuery, () => state);
  setHandler(decideUpdate, (signed) => desk.handle(signed, 'update'), {
    validator: (signed) => desk.validate(signed),
  });
  // A signal has no caller to answer: whatever happens is recorded, and nothing a sender puts in
  // one may fail or end the workflow.
  setHandler(approvalSignal, async (signed) => {
    await desk
      .handle(signed, 'signal')
      .catch((error: unknown) => log.warn('approval signal not judged', { error }));
  });

  setCurrentDetails(
    `Release **${input.service} ${input.version}** (${input.type}), requested by ${input.requestedBy}`,
  );
  // The first write claims the record: if it was closed before this workflow ran (its start took
  // so long that the service was reclaimed), this release ends here without touching anything.
  const claim = await records.write('claim the release record');
  if (!claim.applied) return abandonBeforeStart(context);

  for (let index = 0; index < input.plan.steps.length; ) {
    const step = input.plan.steps[index] as PlanStep;
    const record = startStep(context, step, index);
    try {
      await records.write(`${step.id} started`);
      throwIfRecordRejected(records);
      const detail = await executeStep(context, step);
      finishStep(context, { ...record, status: 'succeeded', finishedAt: now(), detail });
      index += 1;
    } catch (error) {
      const decision = decideAfterFailure({ kind: 'step', step, error });
      return await CancellationScope.nonCancellable(() =>
        endAfterFailure(context, step, record, decision, error),
      );
    }
  }
  state.currentStep = undefined;
  state.environment = undefined;
  context.setStatus('succeeded');
  await records.write('release succeeded');
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  setCurrentDetails(`Released **${input.service} ${input.version}**`);
  return { status: 'succeeded' };
}

function startStep(context: StepContext, step: PlanStep, index: number): StepRecord {
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
function finishStep(context: StepContext, record: StepRecord): void {
  putStep(context, record);
}

function putStep(context: StepContext, record: StepRecord): void {
  const { steps } = context.state;
  const index = steps.findIndex((step) => step.id === record.id);
  if (index >= 0) steps[index] = record;
  else steps.push(record);
  context.records.stepChanged(record.id);
}

function throwIfRecordRejected(records: RecordWriter): void {
  const rejection = records.takeRejection();
  if (rejection !== undefined) {
    throw ApplicationFailure.nonRetryable(
      `the release record could not be written: ${rejection}`,
      'RecordRejected',
    );
  }
}

/**
 * Compensates what the release changed in the failed step's environment (R-COMPENSATE), then ends
 * the release. Runs in a non-cancellable scope: compensations run even for a cancelled release.
 * The execution then ends Failed (or Canceled), so Temporal Web shows at a glance which releases
 * did not go out; the record and the query keep the release's own status.
 */
async function endAfterFailure(
  context: StepContext,
  step: PlanStep,
  record: StepRecord,
  decision: FailureDecision,
  error: unknown,
): Promise<never> {
  const { state, records } = context;
  log.warn('release step failed', { step: step.id, status: decision.status, reason: decision.reason });
  state.pendingGate = undefined;
  putStep(context, { ...record, status: 'failed', finishedAt: now(), error: decision.reason });
  await records.write(`${step.id} failed`);
  const final = await compensate(context, step.environment, decision);
  state.failure = { step: step.id, reason: final.reason };
  context.setStatus(final.status);
  await records.write(`release ${final.status}`);
  records.takeRejection(); // the final write falls back to the release row alone when refused
  await condition(allHandlersFinished);
  // The reason can carry a rejecter's comment or a command's output: shown as text, never as markdown.
  setCurrentDetails(`Release ended **${final.status}** at ${step.name}: ${markdownText(final.reason)}`);
  if (final.status === 'cancelled' && isCancellation(error)) throw error;
  const outcome: ReleaseOutcome = { status: final.status, failure: state.failure };
  throw ApplicationFailure.nonRetryable(
    `release ${final.status} at ${step.id}: ${final.reason}`,
    final.status === 'rejected' ? 'ReleaseRejected' : 'ReleaseFailed',
    outcome,
  );
}

/** Runs the environment's pending compensations, newest first; a failure goes back to the policy. */
async function compensate(
  context: StepContext,
  environment: string,
  decision: FailureDecision,
): Promise<FailureDecision> {
  for (const entry of context.compensations.pendingFor(environment)) {
    const record: StepRecord = {
      id: entry.id,
      name: entry.description,
      kind: 'compensation',
      environment,
      status: 'running',
      startedAt: now(),
    };
    entry.status = 'running';
    putStep(context, record);
    await context.records.write(`compensate ${entry.id}`);
    try {
      const result = await runCompensation(context.input, entry);
      entry.status = result.status;
      entry.detail = result.detail;
      putStep(context, {
        ...record,
        status: result.status === 'done' ? 'compensated' : 'skipped',
        finishedAt: now(),
        detail: { result: result.detail },
      });
    } catch (error) {
      entry.status = 'failed';
      entry.detail = describe(error);
      putStep(context, { ...record, status: 'failed', finishedAt: now(), error: describe(error) });
      return decideAfterFailure({ kind: 'compensation', entry, error, after: decision });
    }
  }
  return decision;
}

/** The record was closed before this workflow claimed it: end without touching any target. */
function abandonBeforeStart({ input, state, setStatus }: StepContext): never {
  state.failure = { step: 'start', reason: 'the release record was closed before its workflow started' };
  setStatus('abandoned');
  const outcome: ReleaseOutcome = { status: state.status, failure: state.failure };
  setCurrentDetails(`Release **abandoned** before its first step: ${outcome.failure?.reason}`);
  throw ApplicationFailure.nonRetryable(
    `release ${input.releaseId} abandoned: ${outcome.failure?.reason}`,
    'ReleaseAbandoned',
    outcome,
  );
}

/**
 * Keeps the status and current-environment search attributes in step with the state, upserting only
 * on a change, and only when the starter set them (a bare test server may not know them).
 */
class SearchAttributeMirror {
  /** The starter sets `running`. */
  #status: ReleaseStatus = 'running';
  #environment: string | undefined;
  readonly #enabled = workflowInfo().typedSearchAttributes.get(statusKey) !== undefined;

  update(state: ReleaseState): void {
    if (!this.#enabled) return;
    const updates = [];
    if (state.status !== this.#status) updates.push({ key: statusKey, value: state.status });
    if (state.environment !== undefined && state.environment !== this.#environment) {
      updates.push({ key: environmentKey, value: state.environment });
    }
    if (updates.length === 0) return;
    this.#status = state.status;
    this.#environment = state.environment ?? this.#environment;
    upsertSearchAttributes(updates);
  }
}
