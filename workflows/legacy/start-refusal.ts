// How a start Runway's API did not authorise is refused: recorded in the audit trail (best effort),
// then the execution ends failed, having done nothing else. The v1 engine replays through this file
// as well as the v2 one: what it does never changes (another way of refusing is another function).
import { ApplicationFailure, log, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { RunwayActivities } from '../../activities/index.js';

export const START_AUTHORITY_PATCH = 'runway-start-authority';

/** The failure type of a refused start. */
export const START_REFUSED = 'StartNotAuthorised';

const { recordRefusedStart } = proxyLocalActivities<Pick<RunwayActivities, 'recordRefusedStart'>>({
  startToCloseTimeout: '5 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
});

export async function refuseStart(reason: string): Promise<never> {
  const info = workflowInfo();
  log.warn('start refused', { reason });
  await recordRefusedStart({ workflowType: info.workflowType, workflowId: info.workflowId, reason }).catch(
    (error: unknown) => log.error('the refused start could not be recorded in the audit trail', { error }),
  );
  throw ApplicationFailure.nonRetryable(`start refused: ${reason}`, START_REFUSED);
}
