// A manual checklist item (R-CHECKLIST): someone holding the item's role in its environment confirms
// it through the API with a note. The confirmation arrives through the decision desk, which verifies
// it like an approval (signed by the API, judged against the roster frozen at start); this code only
// opens the gate, waits, and records who confirmed what.
import { waitAtGate } from '../gate-wait.js';
import type { ConfirmPlanStep } from '../release-model.js';
import type { StepContext, StepDetail } from './step-context.js';

export async function runConfirmStep(context: StepContext, step: ConfirmPlanStep): Promise<StepDetail> {
  const { desk, state } = context;
  state.pendingGate = desk.open({
    id: step.id,
    name: step.name,
    environment: step.environment,
    quorum: [step.role],
    roster: step.roster,
    acceptsRejection: false,
    answeredBy: 'confirm',
  });
  context.setStatus('awaiting-approval');
  await context.records.write(`${step.id} waits for someone with ${step.role} to confirm it`);
  try {
    await waitAtGate(
      context,
      {
        gateId: step.id,
        name: step.name,
        environment: step.environment,
        waitingFor: `a confirmation by someone with ${step.role}`,
      },
      () => desk.isDecided(),
    );
    const confirmation = state.pendingGate.approvals[0];
    if (!confirmation) throw new Error(`step ${step.id} was answered without a confirmation`);
    context.setStatus('running');
    return {
      confirmedBy: confirmation.approver,
      role: confirmation.seat,
      note: confirmation.comment ?? '',
      at: confirmation.at,
    };
  } finally {
    desk.close();
    state.pendingGate = undefined;
  }
}
