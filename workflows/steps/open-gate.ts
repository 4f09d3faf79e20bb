// A gate people answer, held open for the length of a step: an approval, a manual checklist item, a
// release window's override. The desk takes decisions for it only while it is open, and the release
// shows it as its pending gate; both end with the step, however the step ends.
import type { GateSpec } from '../decision-desk.js';
import { type WaitingGate, waitAtGate } from '../gate-wait.js';
import type { PendingGate } from '../release-model.js';
import type { StepContext } from './step-context.js';

export async function withOpenGate<T>(
  context: StepContext,
  spec: GateSpec,
  body: (gate: PendingGate) => Promise<T>,
): Promise<T> {
  const { desk, state } = context;
  const gate = desk.open(spec);
  state.pendingGate = gate;
  try {
    return await body(gate);
  } finally {
    desk.close();
    state.pendingGate = undefined;
  }
}

/**
 * The release waits at the open gate until the desk has its answer: `awaiting-approval` in its status,
 * `note` in its record, escalated and expired as every gate is (gate-wait.ts).
 */
export async function awaitAnswer(context: StepContext, gate: WaitingGate, note: string): Promise<void> {
  context.setStatus('awaiting-approval');
  await context.records.write(note);
  await waitAtGate(context, gate, () => context.desk.isDecided());
}
