// Asks a service's target what it runs (R-SEMVER), on a worker: the API never runs driver commands
// itself. Short-lived and read-only: one activity, a couple of attempts, then the API answers 503.
// Like every Runway workflow it acts only when Runway's API started it (start-authority.ts); the
// request names the service and environment, and the worker takes the command from its configuration.
import { proxyActivities } from '@temporalio/workflow';
import type { RunwayActivities } from '../activities/index.js';
import type {
  TargetInspection,
  TargetInspectionRequest,
} from '../activities/target-inspection-activities.js';
import { admitStart } from './start-authority.js';

const { inspectDeployment } = proxyActivities<Pick<RunwayActivities, 'inspectDeployment'>>({
  startToCloseTimeout: '20 seconds',
  heartbeatTimeout: '10 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    maximumAttempts: 2,
    nonRetryableErrorTypes: ['DriverContractViolated', 'NoSuchTarget'],
  },
});

export async function inspectTargetWorkflow(
  request: TargetInspectionRequest,
  authority?: unknown,
): Promise<TargetInspection> {
  if (await admitStart(request, authority)) {
    // Names only: whatever else a caller put in the request is not passed on.
    return inspectDeployment({ service: request.service, environment: request.environment });
  }
  return inspectDeployment(request);
}
