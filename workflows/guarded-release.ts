// The release loop of plans with a rollback policy (R-RB-*, R-GUIDED). Each step runs in its own
// cancellation scope so that an order — roll back, abort — stops it where it is; a bake's unhealthy
// verdict rolls back by itself; a failure of a guided step waits for a person's decision. After
// success the release can still be rolled back for a while, without holding the service's lock.
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  setCurrentDetails,
} from '@temporalio/workflow';
import { raiseAlert } from './alerting.js';
import { decideAfterFailure, describe } from './failure-policy.js';
import { waitForDecision } from './guided-failure.js';
import { fulfilPostHoc, owePostHoc } from './post-hoc-duty.js';
import { endAfterFailure } from './release-endings.js';
import type { GuidedOption, PlanStep, ReleaseOutcome, RollbackPolicy, StepRecord } from './release-model.js';
import type { GuidedAnswer, ReleaseOrder } from './release-orders.js';
import { endWithRollback } from './rollback-runner.js';
import { finishStep, now, putStep, startStep, throwIfRecordRejected } from './step-records.js';
import { trippedTrigger } from './steps/bake/bake-step.js';
import { executeStep, type StepContext, type StepDetail, traitsOf } from './steps/step-kinds.js';

type StepRun = { kind: 'done'; detail: StepDetail } | { kind: 'ordered'; order: ReleaseOrder };

export async function runGuardedRelease(
  context: StepContext,
  policy: RollbackPolicy,
): Promise<ReleaseOutcome> {
  const { input, records } = context;
  for (let index = 0; index < input.plan.steps.length; ) {
    const step = input.plan.steps[index] as PlanStep;
    const record = startStep(context, step, index);
    let run: StepRun;
    try {
      await records.write(`${step.id} started`);
      throwIfRecordRejected(records);
      run = await runUntilOrdered(context, step);
    } catch (error) {
      const next = await afterStepFailure(context, policy, step, record, error);
      if (next === 'skip') index += 1;
      continue;
    }
    if (run.kind === 'ordered') return endByOrder(context, run.order, step, record);
    finishStep(context, { ...record, status: 'succeeded', finishedAt: now(), detail: run.detail });
    index += 1;
  }
  return succeed(context, policy);
}

/** Runs the step until it ends or an order takes effect; an order cancels the step first. */
async function runUntilOrdered(context: StepContext, step: PlanStep): Promise<StepRun> {
  const orders = context.desk.orders;
  const pending = orders?.current();
  if (pending) return { kind: 'ordered', order: pending };
  const stepScope = new CancellationScope();
  const running = stepScope.run(() => executeStep(context, step));
  // Not cancelled with the release: a cancelled release must wait for its step's activities to
  // stop (their cancellation completes) before it compensates, and the watch would win that race.
  // Cancellable itself, under a parent that is not, so the watch ends with its step and no step
  // leaves a pending condition behind.
  const watchScope = new CancellationScope({
    cancellable: true,
    parent: new CancellationScope({ cancellable: false }),
  });
  const ordered = watchScope.run(() => condition(() => orders?.current() !== undefined));
  try {
    const first = await Promise.race([
      running.then((detail) => ({ kind: 'done', detail }) as const),
      ordered.then(() => ({ kind: 'ordered' }) as const),
    ]);
    if (first.kind === 'done') return first;
    stepScope.cancel();
    // The step's activities stop first (they wait for their cancellation to complete), then the undo.
    await running.catch(() => undefined);
    return { kind: 'ordered', order: orders?.current() as ReleaseOrder };
  } finally {
    watchScope.cancel();
    ordered.catch(() => undefined);
  }
}

/** What follows a failed step: roll back on a bake's verdict, ask a person, or compensate and end. */
async function afterStepFailure(
  context: StepContext,
  policy: RollbackPolicy,
  step: PlanStep,
  record: StepRecord,
  error: unknown,
): Promise<'retry' | 'skip'> {
  const trigger = trippedTrigger(error);
  if (trigger) {
    return CancellationScope.nonCancellable(() =>
      endWithRollback(context, {
        cause: 'automatic',
        reason: `${trigger.trigger} tripped during ${step.name}: ${trigger.summary}`,
        orderedBy: [],
        automatic: trigger,
        environment: step.environment,
        about: step.environment,
        interrupted: { record, message: describe(error) },
      }),
    );
  }
  const decision = decideAfterFailure({ kind: 'step', step, error });
  const order = context.desk.orders?.current();
  if (order) return endByOrder(context, order, step, record);
  if (decision.status !== 'failed' || !policy.guidedSteps.includes(step.id)) {
    return CancellationScope.nonCancellable(() => endAfterFailure(context, step, record, decision, error));
  }
  putStep(context, { ...record, status: 'failed', finishedAt: now(), error: decision.reason });
  let answer: GuidedAnswer;
  try {
    answer = await waitForDecision(context, {
      kind: 'step',
      subject: step.id,
      environment: step.environment,
      reason: decision.reason,
      options: guidedOptions(policy, step),
    });
  } catch (waitError) {
    // Cancelled in Temporal while waiting for people: compensate like any cancelled release.
    if (!isCancellation(waitError)) throw waitError;
    context.desk.orders?.closeGuided();
    const cancelled = decideAfterFailure({ kind: 'step', step, error: waitError });
    return CancellationScope.nonCancellable(() =>
      endAfterFailure(context, step, record, cancelled, waitError),
    );
  }
  const by = `${answer.decidedBy}${answer.reason ? `: ${answer.reason}` : ''}`;
  switch (answer.decision) {
    case 'retry':
      return 'retry';
    case 'skip':
      putStep(context, {
        ...record,
        status: 'skipped',
        finishedAt: now(),
        error: decision.reason,
        detail: { skippedBy: answer.decidedBy, reason: answer.reason },
      });
      return 'skip';
    case 'rollback':
      return CancellationScope.nonCancellable(() =>
        endWithRollback(context, {
          cause: 'guided',
          reason: `${step.name} failed (${decision.reason}); rollback decided by ${by}`,
          orderedBy: answer.decidedBy.split(' and '),
          about: step.environment,
        }),
      );
    case 'abort':
      return CancellationScope.nonCancellable(() =>
        endAfterFailure(
          context,
          step,
          record,
          answer.expired
            ? {
                next: 'compensate-and-end',
                status: 'expired',
                reason: `${decision.reason}; then ${answer.reason}`,
              }
            : {
                next: 'compensate-and-end',
                status: 'cancelled',
                reason: `${decision.reason}; aborted by ${by}`,
              },
          error,
        ),
      );
  }
}

/** A production verification is never skipped unless the policy names it (R-GUIDED). */
function guidedOptions(policy: RollbackPolicy, step: PlanStep): GuidedOption[] {
  const verifiesProduction = traitsOf(step).verifies && step.environment === 'production';
  const skippable = !verifiesProduction || policy.skippableVerifications.includes(step.id);
  return skippable ? ['retry', 'skip', 'rollback', 'abort'] : ['retry', 'rollback', 'abort'];
}

/**
 * An order took effect: a rollback undoes everything, in reverse order; an abort compensates where it
 * stopped; a supersession (only ever at a gate) ends like a rejection there.
 */
function endByOrder(
  context: StepContext,
  order: ReleaseOrder,
  step: PlanStep,
  record: StepRecord,
): Promise<never> {
  if (order.kind === 'supersede') return endSuperseded(context, order, step, record);
  const by = order.orderedBy.join(' and ');
  const reason = `${order.kind === 'rollback' ? 'rollback' : 'abort'} ordered by ${by}${order.reason ? `: ${order.reason}` : ''}`;
  if (order.kind === 'rollback') {
    return CancellationScope.nonCancellable(() =>
      endWithRollback(context, {
        cause: 'manual',
        reason,
        orderedBy: order.orderedBy,
        interrupted: { record, message: `stopped: ${reason}` },
        ...(order.environment ? { about: order.environment } : {}),
      }),
    );
  }
  return CancellationScope.nonCancellable(() =>
    endAfterFailure(
      context,
      step,
      record,
      { next: 'compensate-and-end', status: 'cancelled', reason },
      // Not a Temporal cancellation: the execution ends Failed, its record and result say `cancelled`.
      new Error(reason),
    ),
  );
}

/** R-EXPIRE: a newer release replaced this one while it waited at a gate; production keeps what it has. */
function endSuperseded(
  context: StepContext,
  order: ReleaseOrder,
  step: PlanStep,
  record: StepRecord | undefined,
): Promise<never> {
  context.state.supersededBy = order.reason;
  const reason = `superseded by release ${order.reason} (started by ${order.orderedBy.join(' and ')})`;
  return CancellationScope.nonCancellable(() =>
    endAfterFailure(
      context,
      step,
      record,
      { next: 'compensate-and-end', status: 'superseded', reason },
      new Error(reason),
    ),
  );
}

/** An order that took effect as the last step ended: a rollback undoes everything, an abort the last environment. */
function endByLateOrder(context: StepContext, order: ReleaseOrder): Promise<never> {
  const steps = context.input.plan.steps;
  const last = steps[steps.length - 1] as PlanStep;
  if (order.kind === 'supersede') return endSuperseded(context, order, last, undefined);
  const by = order.orderedBy.join(' and ');
  const reason = `${order.kind} ordered by ${by} as the last step ended${order.reason ? `: ${order.reason}` : ''}`;
  return CancellationScope.nonCancellable(() =>
    order.kind === 'rollback'
      ? endWithRollback(context, { cause: 'manual', reason, orderedBy: order.orderedBy })
      : endAfterFailure(
          context,
          last,
          undefined,
          { next: 'compensate-and-end', status: 'cancelled', reason },
          new Error(reason),
        ),
  );
}

/**
 * A rollback after success takes the service's lock back first: one release changes a service at a
 * time (release-rules.ts). When a newer release holds it, the rollback does not run; the release
 * stays as it ended and says why. Releases started before those rules roll back regardless.
 */
async function serviceRegained(context: StepContext): Promise<boolean> {
  if (!context.rules.current) return true;
  const { state, records, input } = context;
  const before = state.status;
  context.setStatus('rolling-back');
  const taken = await records.write('take the service back to roll back');
  if (!taken.lockHeldBy) return true;
  context.setStatus(before);
  const reason = `release ${taken.lockHeldBy} of ${input.service} holds the service now; the rollback ordered after success did not run`;
  context.desk.orders?.setWindow({ open: false, refusal: 'rollback-closed', reason });
  await records.write('rollback after success refused: a newer release holds the service');
  await raiseAlert(context, {
    key: 'rollback-refused',
    level: 'P1',
    kind: 'rollback-refused',
    stepId: null,
    environment: null,
    message: `${input.service} ${input.version}: ${reason}`,
  });
  return false;
}

/** Success; then, for the policy's time, a rollback may still be ordered (R-RB-TRIGGER-MANUAL). */
async function succeed(context: StepContext, policy: RollbackPolicy): Promise<ReleaseOutcome> {
  const { state, records, input } = context;
  const orders = context.desk.orders;
  // An order counted as the last step ended is honoured, never acknowledged and dropped.
  const late = orders?.current();
  if (late) return endByLateOrder(context, late);
  state.currentStep = undefined;
  state.environment = undefined;
  if (policy.afterSuccessMs > 0) {
    state.rollbackOpenUntil = new Date(Date.now() + policy.afterSuccessMs).toISOString();
    orders?.setWindow({ open: true, rollbackOnly: true });
  } else {
    orders?.setWindow({ open: false, refusal: 'rollback-closed', reason: 'the release has ended' });
  }
  const postHoc = input.plan.oversight?.postHoc;
  if (postHoc) {
    await owePostHoc(context, postHoc);
  } else {
    context.setStatus('succeeded');
    await records.write('release succeeded');
  }
  setCurrentDetails(`Released **${input.service} ${input.version}**`);
  // R-POSTHOC: the reminders run alongside the rollback window; a rollback ordered meanwhile stops them.
  const dutyScope = new CancellationScope();
  const duty = postHoc ? dutyScope.run(() => fulfilPostHoc(context, postHoc)) : undefined;
  if (state.rollbackOpenUntil !== undefined) {
    setCurrentDetails(
      `Released **${input.service} ${input.version}**; a rollback may be ordered until ${state.rollbackOpenUntil}`,
    );
    // A cancel in Temporal closes the window early; the release stays succeeded.
    const ordered = await condition(() => orders?.current() !== undefined, policy.afterSuccessMs).catch(
      (error: unknown) => {
        if (isCancellation(error)) return false;
        throw error;
      },
    );
    const order = orders?.current();
    if (ordered && order && (await serviceRegained(context))) {
      const reason = `rollback ordered by ${order.orderedBy.join(' and ')} after success${order.reason ? `: ${order.reason}` : ''}`;
      if (duty) {
        dutyScope.cancel();
        await duty;
      }
      return CancellationScope.nonCancellable(() =>
        endWithRollback(context, { cause: 'manual', reason, orderedBy: order.orderedBy }),
      );
    }
    orders?.setWindow({
      open: false,
      refusal: 'rollback-closed',
      reason: `the rollback window closed at ${state.rollbackOpenUntil}`,
    });
    state.rollbackOpenUntil = undefined;
    await records.write('rollback window closed');
    setCurrentDetails(`Released **${input.service} ${input.version}**`);
  }
  if (duty) await duty;
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  return { status: state.status };
}
