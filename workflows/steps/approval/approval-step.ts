// An approval gate: open it, say so in the record, wait until the quorum is met or someone rejects.
// Decisions arrive through the decision desk (an update or a signal), never through this code.
import { ReleaseRejected } from '../../failure-policy.js';
import type { ApprovalPlanStep } from '../../release-model.js';
import { awaitAnswer, withOpenGate } from '../open-gate.js';
import type { StepContext, StepDetail } from '../step-context.js';
import { stepKind } from '../step-kind.js';

export function runApprovalStep(context: StepContext, step: ApprovalPlanStep): Promise<StepDetail> {
  return withOpenGate(context, { ...step, acceptsRejection: true }, async (gate) => {
    const waitingFor = step.quorum.join(' and ');
    await awaitAnswer(
      context,
      { gateId: step.id, name: step.name, environment: step.environment, waitingFor },
      `${step.id} waits for ${waitingFor}`,
    );
    const outcome = await context.desk.outcome();
    const approvals = gate.approvals.map(({ approver, seat }) => ({ approver, seat }));
    if (!outcome.approved) {
      const why = outcome.comment ? `: ${outcome.comment}` : '';
      throw new ReleaseRejected(`rejected by ${outcome.rejectedBy}${why}`);
    }
    context.setStatus('running');
    return { approvals };
  });
}

export const approvalStep = stepKind(runApprovalStep, { traits: { gate: true } });
