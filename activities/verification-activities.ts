// HTTP verification of a deployed service (pre-release and production verification, R-CHECKLIST):
// every check must pass in the same round; rounds repeat until the attempts run out.
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/activity';
import type { HttpCheck } from '../workflows/release-model.js';
import type { ActivityDeps } from './activity-deps.js';
import { withHeartbeat } from './heartbeat.js';

export interface VerifyInput {
  releaseId: string;
  stepId: string;
  url: string;
  version: string;
  checks: HttpCheck[];
  attempts: number;
  intervalMs: number;
}

export interface CheckResult {
  name: string;
  passed: boolean;
  latencyMs: number;
  detail: string;
}

export interface VerifyResult {
  attempt: number;
  checks: CheckResult[];
}

export async function probe(
  baseUrl: string,
  check: HttpCheck,
  version: string,
  signal: AbortSignal,
): Promise<CheckResult> {
  const started = performance.now();
  const result = (passed: boolean, detail: string): CheckResult => ({
    name: check.name,
    passed,
    latencyMs: Math.round(performance.now() - started),
    detail,
  });
  try {
    const response = await fetch(new URL(check.path, baseUrl), {
      signal: AbortSignal.any([signal, AbortSignal.timeout(check.timeoutMs)]),
    });
    const body = await response.text();
    if (response.status !== check.expectStatus) {
      return result(false, `status ${response.status}, expected ${check.expectStatus}`);
    }
    if (check.expectVersion) {
      const served = (JSON.parse(body) as { version?: unknown }).version;
      if (served !== version) return result(false, `serves version ${String(served)}, expected ${version}`);
    }
    return result(true, `status ${response.status}`);
  } catch (error) {
    return result(false, describeFetchError(error));
  }
}

/** fetch says only "fetch failed"; what failed (ECONNREFUSED, a DNS name not found…) is in its cause. */
function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const detail =
    typeof cause?.code === 'string'
      ? cause.code
      : typeof cause?.message === 'string'
        ? cause.message
        : undefined;
  return detail ? `${error.message}: ${detail}` : error.message;
}

export function createVerificationActivities(deps: ActivityDeps) {
  return {
    async verifyService(input: VerifyInput): Promise<VerifyResult> {
      const log = deps.logger.child({ releaseId: input.releaseId, step: input.stepId });
      let attempt = 0;
      let last: CheckResult[] = [];
      return withHeartbeat(
        () => ({ attempt, failing: last.filter((check) => !check.passed).map((check) => check.name) }),
        async (signal) => {
          for (attempt = 1; attempt <= input.attempts; attempt++) {
            last = await Promise.all(
              input.checks.map((check) => probe(input.url, check, input.version, signal)),
            );
            if (last.every((check) => check.passed)) {
              log.info({ attempt, url: input.url }, 'verification passed');
              return { attempt, checks: last };
            }
            log.warn(
              { attempt, failing: last.filter((check) => !check.passed) },
              'verification round failed',
            );
            if (attempt < input.attempts) await sleep(input.intervalMs, undefined, { signal });
          }
          const failing = last
            .filter((check) => !check.passed)
            .map((check) => `${check.name}: ${check.detail}`);
          throw ApplicationFailure.nonRetryable(
            `verification failed after ${input.attempts} attempts (${failing.join('; ')})`,
            'VerificationFailed',
            { checks: last },
          );
        },
      );
    },
  };
}
