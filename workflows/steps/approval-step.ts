// An approval gate: open it, say so in the record, wait until the quorum is met or someone rejects.
// Decisions arrive through the decision desk (an update or a signal), never through this code.
import { ReleaseRejected } from '../failure-policy.js';
import { waitAtGate } from '../gate-wait.js';
import type { ApprovalPlanStep } from '../release-model.js';
import type { StepContext, StepDetail } from './step-context.js';

export async function runApprovalStep(context: StepContext, step: ApprovalPlanStep): Promise<StepDetail> {
  const { desk, state } = context;
  state.pendingGate = desk.open({ ...step, acceptsRejection: true });
  context.setStatus('awaiting-approval');
  await context.records.write(`${step.id} waits for ${step.quorum.join(' and ')}`);
  try {
    await waitAtGate(
      context,
      {
        gateId: step.id,
        name: step.name,
        environment: step.environment,
        waitingFor: step.quorum.join(' and '),
      },
      () => desk.isDecided(),
    );
    const outcome = await desk.outcome();
    const approvals = state.pendingGate.approvals.map(({ approver, seat }) => ({ approver, seat }));
    if (!outcome.approved) {
      const why = outcome.comment ? `: ${outcome.comment}` : '';
      throw new ReleaseRejected(`rejected by ${outcome.rejectedBy}${why}`);
    }
    context.setStatus('running');
    return { approvals };
  } finally {
    desk.close();
    state.pendingGate = undefined;
  }
}
