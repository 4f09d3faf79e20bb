// How a release ends when something goes wrong: compensate what it changed in the failed step's
// environment (R-COMPENSATE), then end `failed`, `rejected` or `cancelled`. A release whose plan has
// a rollback policy waits in guided failure when a compensation fails (R-RB-VERIFY); older plans end
// `failed` saying what may be left half-way.
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  isCancellation,
  log,
  setCurrentDetails,
} from '@temporalio/workflow';
import { raiseAlert } from './alerting.js';
import { decideAfterFailure, describe, type FailureDecision } from './failure-policy.js';
import { markdownText } from './markdown-text.js';
import { afterNextWrite } from './oversight-alerts.js';
import type { PlanStep, ReleaseOutcome, ReleaseStatus, StepRecord } from './release-model.js';
import { automaticEndingUndoes } from './release-rules.js';
import { runCompensationsGuided } from './rollback-runner.js';
import { now, putStep } from './step-records.js';
import type { StepContext } from './steps/step-kinds.js';
import { runCompensation } from './steps/step-kinds.js';

/**
 * Compensates what the release changed in the failed step's environment (R-COMPENSATE), then ends
 * the release. Runs in a non-cancellable scope: compensations run even for a cancelled release.
 * The execution then ends Failed (or Canceled), so Temporal Web shows at a glance which releases
 * did not go out; the record and the query keep the release's own status.
 */
export async function endAfterFailure(
  context: StepContext,
  step: PlanStep,
  /** The failed step's record; none when the release ends after its last step ended well. */
  record: StepRecord | undefined,
  decision: FailureDecision,
  error: unknown,
): Promise<never> {
  const { state, records } = context;
  log.warn('release step failed', { step: step.id, status: decision.status, reason: decision.reason });
  context.desk.orders?.setWindow({ open: false, refusal: 'gate-closed', reason: 'the release is ending' });
  state.pendingGate = undefined;
  // R-EXPIRE: an expiry or a supersession undoes nothing in a two-person environment (release-rules.ts);
  // what the release waited for there is marked missing instead.
  const keeps =
    context.rules.current &&
    !automaticEndingUndoes(decision.status, step.environment, context.input.plan.rollback);
  if (record) {
    putStep(context, {
      ...record,
      status: 'failed',
      finishedAt: now(),
      error: keeps ? `not answered: ${decision.reason}` : decision.reason,
      ...(keeps ? { detail: { missing: true } } : {}),
    });
  }
  await records.write(record ? `${step.id} failed` : `${step.id}: ${markdownText(decision.reason, 200)}`);
  const final = keeps
    ? { ...decision, reason: `${decision.reason}; ${step.environment} keeps what the release did there` }
    : await compensate(context, step.environment, decision);
  state.failure = { step: step.id, reason: final.reason };
  context.setStatus(final.status);
  await records.write(`release ${final.status}`);
  announceGateEnding(context, step, final, keeps);
  records.takeRejection(); // the final write falls back to the release row alone when refused
  await condition(allHandlersFinished);
  // The reason can carry a rejecter's comment or a command's output: shown as text, never as markdown.
  setCurrentDetails(`Release ended **${final.status}** at ${step.name}: ${markdownText(final.reason)}`);
  if (final.status === 'cancelled' && isCancellation(error)) throw error;
  const outcome: ReleaseOutcome = { status: final.status, failure: state.failure };
  throw ApplicationFailure.nonRetryable(
    `release ${final.status} at ${step.id}: ${final.reason}`,
    FAILURE_TYPES[final.status] ?? 'ReleaseFailed',
    outcome,
  );
}

/** The failure type Temporal shows for a release that did not go out; any other status is ReleaseFailed. */
const FAILURE_TYPES: Partial<Record<ReleaseStatus, string>> = {
  rejected: 'ReleaseRejected',
  expired: 'ReleaseExpired',
  superseded: 'ReleaseSuperseded',
};

/**
 * R-EXPIRE: an expired or superseded release says so in its channel — more urgently when it kept what
 * it did in a two-person environment, since what it waited for there is now missing.
 */
function announceGateEnding(
  context: StepContext,
  step: PlanStep,
  final: FailureDecision,
  kept: boolean,
): void {
  if (!context.input.plan.oversight) return;
  const kind = final.status;
  if (kind !== 'expired' && kind !== 'superseded') return;
  const { input } = context;
  afterNextWrite(context, () =>
    raiseAlert(context, {
      key: kind,
      level: kept ? 'P1' : kind === 'expired' ? 'P2' : 'P3',
      kind,
      stepId: step.id,
      environment: step.environment,
      message: `${input.service} ${input.version} (${input.type}) ended ${kind} at ${step.name}: ${final.reason}`,
    }),
  );
}

/** Runs the environment's pending compensations, newest first; a failure goes back to the policy. */
async function compensate(
  context: StepContext,
  environment: string,
  decision: FailureDecision,
): Promise<FailureDecision> {
  if (context.desk.orders) {
    const { stoppedBecause } = await runCompensationsGuided(
      context,
      context.compensations.pendingFor(environment),
    );
    if (stoppedBecause === undefined) return decision;
    const status = decision.status === 'cancelled' ? 'cancelled' : 'failed';
    return { ...decision, status, reason: `${decision.reason}; then ${stoppedBecause}` };
  }
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
export function abandonBeforeStart({ input, state, setStatus }: StepContext): never {
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
