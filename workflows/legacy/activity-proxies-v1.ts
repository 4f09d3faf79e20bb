// Frozen with the v1 engine (release-workflow-v1.ts); never change what it does.
// Activity stubs with their timeouts and retry policies, one place for all of them.
import { ActivityCancellationType, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { RunwayActivities } from '../../activities/index.js';

type TargetActivities = Pick<
  RunwayActivities,
  'inspectTarget' | 'deployToColour' | 'checkColour' | 'switchTraffic'
>;
type RecordActivities = Pick<RunwayActivities, 'recordStep' | 'recordReleaseState' | 'recordApproval'>;

/** Driver actions: a deploy may take minutes; a lost worker is noticed by the missing heartbeat. */
export const targetActivities = proxyActivities<TargetActivities>({
  startToCloseTimeout: '10 minutes',
  // A cancelled release waits for a running switch to end before compensating, so the undo comes last.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 5,
  },
});

/** Commands and verifications set their own timeouts and attempts from the step at the call site. */
export const stepActivities = proxyActivities<Pick<RunwayActivities, 'runStepCommand' | 'verifyService'>>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 3,
  },
});

/**
 * Record writes are short idempotent upserts: local activities keep them out of the way in the
 * history while still retrying until PostgreSQL is back.
 */
export const recordActivities = proxyLocalActivities<RecordActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});
