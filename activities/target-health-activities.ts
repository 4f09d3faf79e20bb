// One round of a service's configured HTTP checks against an environment (GET …/health), on a
// worker: the API never reaches targets itself. The request names the service and the environment
// and a time budget; the URL and the checks come from the worker's own configuration, never from
// the request, so whoever starts this cannot point it anywhere.
import { ApplicationFailure } from '@temporalio/activity';
import { healthTargetOf } from '../config/health-target.js';
import {
  boundedHealthTimeoutMs,
  type TargetHealth,
  type TargetHealthRequest,
} from '../workflows/target-health-model.js';
import type { ActivityDeps } from './activity-deps.js';
import { withHeartbeat } from './heartbeat.js';
import { probe } from './verification-activities.js';

export function createTargetHealthActivities(deps: ActivityDeps) {
  return {
    async checkTargetHealth(request: TargetHealthRequest): Promise<TargetHealth> {
      const { service, environment } = request;
      const target = deps.config && healthTargetOf(deps.config, service, environment);
      if (!target) {
        throw ApplicationFailure.nonRetryable(
          `service ${service} does not run in ${environment} in this worker's configuration`,
          'NoSuchTarget',
        );
      }
      const budgetMs = boundedHealthTimeoutMs(request.timeoutMs);
      let done = 0;
      return withHeartbeat(
        () => ({ checks: target.checks.length, done }),
        async (signal) => {
          // Each check keeps its own configured timeout; the budget bounds them all.
          const within = AbortSignal.any([signal, AbortSignal.timeout(budgetMs)]);
          const checks = await Promise.all(
            target.checks.map(async (check) => {
              const result = await probe(target.url, check, '', within);
              done++;
              return result;
            }),
          );
          return {
            service,
            environment,
            healthy: checks.every((check) => check.passed),
            checks,
            checkedAt: new Date().toISOString(),
          };
        },
      );
    },
  };
}
