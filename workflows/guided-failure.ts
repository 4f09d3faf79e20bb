// Guided failure (R-GUIDED): a failure a person should decide on pauses the release as
// `waiting-decision`, says what failed, raises an alert, and waits for retry, skip, roll back or
// abort from someone with deploy there (judged by the decision desk like approvals). A rollback or
// abort ordered through their own endpoints meanwhile answers it too.
import { log } from '@temporalio/workflow';
import { raiseAlert } from './alerting.js';
import { GateExpired, waitAtGate } from './gate-wait.js';
import type { GuidedOption, ReleaseStatus } from './release-model.js';
import type { GuidedAnswer } from './release-orders.js';
import { guidedGateId } from './release-rules.js';
import { now } from './step-records.js';
import type { StepContext } from './steps/step-kinds.js';

export interface GuidedQuestion {
  kind: 'step' | 'compensation';
  /** The failed step's or compensation's id. */
  subject: string;
  environment: string;
  reason: string;
  options: GuidedOption[];
}

export async function waitForDecision(context: StepContext, question: GuidedQuestion): Promise<GuidedAnswer> {
  const orders = context.desk.orders;
  if (!orders) throw new Error('guided failure needs a plan with a rollback policy');
  const { state, input } = context;
  const before: ReleaseStatus = state.status;
  const gateId = guidedGateId(question.subject);
  // A failed compensation waits for its own answer: the order that started the undoing is not one
  // (release-rules.ts; releases started before took it for one, and stopped undoing).
  const ordersAnswer = question.kind === 'step' || !context.rules.current;
  orders.openGuided({ gateId, ...question, since: now() });
  context.setStatus('waiting-decision');
  await context.records.write(`${question.subject} waits for a decision: ${question.options.join(', ')}`);
  await raiseAlert(context, {
    // One alert per wait: the count of waits so far, which (unlike the decisions kept) only grows.
    key: `waiting-decision:${gateId}:${orders.guidedWaits}`,
    level: question.kind === 'compensation' ? 'P0' : 'P1',
    kind: question.kind === 'compensation' ? 'compensation-failed' : 'waiting-decision',
    stepId: question.subject,
    environment: question.environment,
    message: `${input.service} ${input.version}: ${question.subject} failed in ${question.environment} (${question.reason}); waiting for a decision: ${question.options.join(', ')}`,
  });
  const expired = await waitAtGate(
    context,
    {
      gateId,
      name: `the decision on ${question.subject}`,
      environment: question.environment,
      waitingFor: `someone with deploy in ${question.environment} (${question.options.join(', ')})`,
      escalationLevel: 'P1',
    },
    () => orders.guidedAnswer !== undefined || (ordersAnswer && orders.current() !== undefined),
  ).then(
    () => undefined,
    (error: unknown) => {
      if (error instanceof GateExpired) return error;
      throw error;
    },
  );
  const order = orders.current();
  // R-EXPIRE: a decision nobody took is taken as an abort: what was done is compensated (a failed
  // compensation stops compensating), and the step's release ends `expired`.
  const answer: GuidedAnswer = expired
    ? { decision: 'abort', decidedBy: 'the expiry of the decision', reason: expired.message, expired: true }
    : (orders.guidedAnswer ?? {
        decision: order?.kind === 'rollback' ? 'rollback' : 'abort',
        decidedBy: order?.orderedBy.join(' and ') ?? '',
        reason: order?.reason ?? '',
      });
  orders.closeGuided();
  context.setStatus(before);
  log.info('guided failure decided', {
    subject: question.subject,
    decision: answer.decision,
    by: answer.decidedBy,
  });
  return answer;
}
