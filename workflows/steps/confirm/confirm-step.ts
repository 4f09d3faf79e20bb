// A manual checklist item (R-CHECKLIST): someone holding the item's role in its environment confirms
// it through the API with a note. The confirmation arrives through the decision desk, which verifies
// it like an approval (signed by the API, judged against the roster frozen at start); this code only
// opens the gate, waits, and records who confirmed what.
import type { ConfirmPlanStep } from '../../release-model.js';
import { awaitAnswer, withOpenGate } from '../open-gate.js';
import type { StepContext, StepDetail } from '../step-context.js';
import { stepKind } from '../step-kind.js';

export function runConfirmStep(context: StepContext, step: ConfirmPlanStep): Promise<StepDetail> {
  const gate = {
    id: step.id,
    name: step.name,
    environment: step.environment,
    quorum: [step.role],
    roster: step.roster,
    acceptsRejection: false,
    answeredBy: 'confirm' as const,
  };
  return withOpenGate(context, gate, async (pending) => {
    await awaitAnswer(
      context,
      {
        gateId: step.id,
        name: step.name,
        environment: step.environment,
        waitingFor: `a confirmation by someone with ${step.role}`,
      },
      `${step.id} waits for someone with ${step.role} to confirm it`,
    );
    const confirmation = pending.approvals[0];
    if (!confirmation) throw new Error(`step ${step.id} was answered without a confirmation`);
    context.setStatus('running');
    return {
      confirmedBy: confirmation.approver,
      role: confirmation.seat,
      note: confirmation.comment ?? '',
      at: confirmation.at,
    };
  });
}

export const confirmStep = stepKind(runConfirmStep, { traits: { gate: true } });
