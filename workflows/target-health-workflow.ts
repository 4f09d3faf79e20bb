// Checks a service's health in an environment (GET …/health) on a worker: one round of its
// configured HTTP checks, read-only and short. Like every Runway workflow it acts only when Runway's
// API started it (start-authority.ts); the request names the service, the environment and a time
// budget, and the worker takes the URL and the checks from its configuration.
import { proxyActivities } from '@temporalio/workflow';
import type { RunwayActivities } from '../activities/index.js';
import { admitStart } from './start-authority.js';
import {
  boundedHealthTimeoutMs,
  type TargetHealth,
  type TargetHealthRequest,
} from './target-health-model.js';

/** Time for the activity to report once the checks' budget is spent. */
const REPORT_MARGIN_MS = 5_000;

export async function checkHealthWorkflow(
  request: TargetHealthRequest,
  authority?: unknown,
): Promise<TargetHealth> {
  // No execution of this type predates the start check: admitted or refused, never let through.
  await admitStart(request, authority);
  const timeoutMs = boundedHealthTimeoutMs(request.timeoutMs);
  const { checkTargetHealth } = proxyActivities<Pick<RunwayActivities, 'checkTargetHealth'>>({
    startToCloseTimeout: timeoutMs + REPORT_MARGIN_MS,
    heartbeatTimeout: '10 seconds',
    // A failed check is an answer, not an error; the caller asks again if it wants another round.
    retry: { maximumAttempts: 1 },
  });
  // Names and the bounded budget only: whatever else a caller put in the request is not passed on.
  return checkTargetHealth({ service: request.service, environment: request.environment, timeoutMs });
}
