// Asks a service's target what it runs (R-SEMVER), on a worker: the API never runs driver commands
// itself. Short-lived and read-only: one activity, a couple of attempts, then the API answers 503.
import { proxyActivities } from '@temporalio/workflow';
import type { RunwayActivities } from '../activities/index.js';
import type {
  TargetInspection,
  TargetInspectionRequest,
} from '../activities/target-inspection-activities.js';

const { inspectDeployment } = proxyActivities<Pick<RunwayActivities, 'inspectDeployment'>>({
  startToCloseTimeout: '20 seconds',
  heartbeatTimeout: '10 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    maximumAttempts: 2,
    nonRetryableErrorTypes: ['DriverContractViolated'],
  },
});

export async function inspectTargetWorkflow(request: TargetInspectionRequest): Promise<TargetInspection> {
  return inspectDeployment(request);
}
