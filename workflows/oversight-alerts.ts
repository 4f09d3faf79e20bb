// Alerts of oversight (R-SLA, R-ESCALATE, R-EXPIRE, R-POSTHOC, stage announcements) go out without the
// release waiting for them: a channel that is slow or down must not hold an approved gate or a
// finished release. Each one is remembered per release, so the workflow lets them all finish before
// it ends (an activity still queued when the execution closes would never run).
import { CancellationScope, sleep } from '@temporalio/workflow';
import { alertDeliveriesSettled, raiseAlert } from './alerting.js';
import type { ReleaseState } from './release-model.js';
import type { StepContext } from './steps/step-context.js';

type AlertInput = Parameters<typeof raiseAlert>[1];

const pending = new WeakMap<ReleaseState, Promise<void>[]>();

/**
 * Runs `send` in the background, in a workflow task of its own: a status can change while a decision's
 * local activities are still in flight, and an activity scheduled right then could take a different
 * place among them when the history is replayed. A timer's firing is a fixed point in the history.
 * It runs even when the step that started it is cancelled.
 */
export function inBackground(context: StepContext, send: () => Promise<void>): void {
  track(
    context,
    CancellationScope.nonCancellable(async () => {
      await sleep(1);
      await send();
    }),
  );
}

/**
 * Runs `send` in the background once the next record write has completed (see
 * RecordWriter.nextWriteCompleted): for what a status change or a decision sets off, whose moment
 * is not a fixed point in the history. Every such change is followed by a record write.
 */
export function afterNextWrite(context: StepContext, send: () => Promise<void>): void {
  track(
    context,
    CancellationScope.nonCancellable(async () => {
      await context.records.nextWriteCompleted();
      await send();
    }),
  );
}

function track(context: StepContext, task: Promise<void>): void {
  const list = pending.get(context.state) ?? [];
  list.push(task);
  pending.set(context.state, list);
}

/** Raises the alert in the background (see inBackground). */
export function raiseInBackground(context: StepContext, alert: AlertInput): void {
  inBackground(context, () => raiseAlert(context, alert));
}

/** Waits until every alert raised in the background has been recorded and delivered (or given up on). */
export async function backgroundAlertsSettled(context: StepContext): Promise<void> {
  for (;;) {
    // The release's last write is done: what waits for a next one goes now.
    context.records.releaseWriteWaiters();
    const list = pending.get(context.state) ?? [];
    if (list.length === 0) break;
    pending.set(context.state, []);
    await Promise.allSettled(list);
  }
  await alertDeliveriesSettled();
}
