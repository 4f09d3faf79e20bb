// Where a service's health is checked in an environment, and with which checks: the same URL and
// `verification` checks a verify step of a release resolves (runbooks/resolve-release-plan.ts,
// workflows/steps/verify/verify-schema.ts), without the version comparison, since no release says
// which version to expect. Resolved by whoever runs the checks (the worker) from nothing but the
// names, so no URL ever travels through Temporal for it.
import { httpChecksOf } from '../runbooks/resolve-analysis.js';
import type { HttpCheck } from '../workflows/release-model.js';
import type { RunwayConfig } from './config-schema.js';

export interface HealthTarget {
  url: string;
  checks: HttpCheck[];
}

/** Undefined when the service does not run in the environment (or either is unknown). */
export function healthTargetOf(
  config: Pick<RunwayConfig, 'services' | 'environments'>,
  service: string,
  environment: string,
): HealthTarget | undefined {
  // Own names only: `constructor` or `__proto__` name no service.
  const serviceConfig = Object.hasOwn(config.services, service) ? config.services[service] : undefined;
  const environmentConfig = Object.hasOwn(config.environments, environment)
    ? config.environments[environment]
    : undefined;
  const target =
    environmentConfig && Object.hasOwn(environmentConfig.services, service)
      ? environmentConfig.services[service]
      : undefined;
  if (!serviceConfig || !target) return undefined;
  return {
    url: target.url,
    checks: httpChecksOf(serviceConfig).map((check) => ({ ...check, expectVersion: false })),
  };
}
