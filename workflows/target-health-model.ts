// What a health check of one service's environment asks and answers (GET …/health): the request
// names only the service, the environment and a time budget; the checks and the URL are the
// worker's own configuration. Plain data and arithmetic: the API, the workflow and the activity
// share it.

export interface TargetHealthRequest {
  service: string;
  environment: string;
  /** The budget of each check and of the round as a whole. */
  timeoutMs: number;
}

export interface TargetHealthCheck {
  name: string;
  passed: boolean;
  latencyMs: number;
  detail: string;
}

export interface TargetHealth {
  service: string;
  environment: string;
  /** Every configured check passed in this one round. */
  healthy: boolean;
  checks: TargetHealthCheck[];
  /** When the worker ran the checks (ISO-8601). */
  checkedAt: string;
}

/** What a caller may ask for, in seconds. */
export const HEALTH_TIMEOUT_SECONDS = { min: 1, max: 120, default: 30 } as const;

/**
 * The budget a worker grants, whatever the request says: a start that did not come through the API
 * is refused before this matters, but no request may hold a worker longer than the API allows.
 */
export function boundedHealthTimeoutMs(timeoutMs: unknown): number {
  const { min, max } = HEALTH_TIMEOUT_SECONDS;
  const asked =
    typeof timeoutMs === 'number' && Number.isFinite(timeoutMs)
      ? timeoutMs
      : HEALTH_TIMEOUT_SECONDS.default * 1000;
  return Math.min(Math.max(Math.round(asked), min * 1000), max * 1000);
}
