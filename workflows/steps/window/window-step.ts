// Waits for the environment's release window (R-WINDOW-5): asks the calendar (an activity: time
// zones and holiday data stay out of the workflow), sleeps on a durable timer until the next allowed
// moment, and asks again when it wakes — a freeze added meanwhile makes it wait again. A window
// closing too soon is not entered. People on the step's override roster (two admins by default,
// never the requester) can let it through with a reason; their decisions are verified like approvals.
import { CancellationScope, sleep } from '@temporalio/workflow';
import { calendarActivities } from '../../activity-proxies.js';
import type { WindowPlanStep } from '../../release-model.js';
import { withOpenGate } from '../open-gate.js';
import type { StepContext, StepDetail } from '../step-context.js';
import { stepKind } from '../step-kind.js';

export function runWindowStep(context: StepContext, step: WindowPlanStep): Promise<StepDetail> {
  const override = {
    id: step.id,
    name: `${step.name}: override`,
    environment: step.environment,
    quorum: step.override.quorum,
    roster: step.override.roster,
    acceptsRejection: false,
  };
  return withOpenGate(context, override, async () => {
    try {
      return await waitForWindow(context, step);
    } finally {
      context.state.waitingWindow = undefined;
    }
  });
}

async function waitForWindow(context: StepContext, step: WindowPlanStep): Promise<StepDetail> {
  const { desk, state, records } = context;
  for (let checks = 1; ; checks++) {
    if (desk.isDecided()) return overridden(context, checks);
    const at = new Date().toISOString();
    const check = await calendarActivities.checkReleaseWindow.executeWithOptions(
      { summary: `check the release window of ${step.environment}` },
      [
        {
          environment: step.environment,
          at,
          policy: step.policy,
          minimumRemainingMs: step.minimumRemainingMs,
        },
      ],
    );
    if (check.kind === 'open') {
      state.waitingWindow = undefined;
      context.setStatus('running');
      return { enteredAt: at, windowEnd: check.windowEnd, checks };
    }
    const wakeAt = check.kind === 'wait' ? Date.parse(check.until) : Date.now() + step.recheckMs;
    const until = check.kind === 'wait' ? check.until : null;
    state.waitingWindow = { until, reason: check.reason };
    context.setStatus('waiting-window');
    await records.write(`${step.id} waits ${until ? `until ${until}` : 'for the calendar'}: ${check.reason}`);
    await untilWakeOrOverride(
      context,
      wakeAt,
      `release window: ${until ? `wait until ${until}` : 're-check the calendar'} (${check.reason})`,
    );
  }
}

/** A durable timer (visible in Temporal Web with its summary), cut short when the override is granted. */
async function untilWakeOrOverride(context: StepContext, wakeAt: number, summary: string): Promise<void> {
  const timer = new CancellationScope();
  const slept = timer.run(() => sleep(Math.max(wakeAt - Date.now(), 1), { summary }));
  const overridden = context.desk.outcome();
  const first = await Promise.race([
    slept.then(() => 'woke' as const),
    overridden.then(() => 'overridden' as const),
  ]);
  if (first === 'overridden') {
    timer.cancel();
    await slept.catch(() => undefined);
  }
}

function overridden(context: StepContext, checks: number): StepDetail {
  const approvals = context.state.pendingGate?.approvals ?? [];
  context.state.waitingWindow = undefined;
  context.setStatus('running');
  return {
    overriddenBy: approvals.map((approval) => approval.approver),
    reasons: approvals.map((approval) => approval.comment ?? ''),
    checks,
  };
}

export const windowStep = stepKind(runWindowStep, { traits: { gate: true } });
