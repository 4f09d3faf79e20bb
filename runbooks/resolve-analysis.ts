// The bake, baseline and rollback parts of a plan (R-RB-*): probes, thresholds and the rollback
// policy resolved from the service's and Runway's configuration, frozen into the release at start.
import type { RunwayConfig, ServiceConfig } from '../config/config-schema.js';
import type {
  BakeSettings,
  HttpCheck,
  PlanStep,
  ProbeSpec,
  RollbackPolicy,
  RollbackVerificationSpec,
} from '../workflows/release-model.js';
import { approvalRoster } from './approval-roster.js';
import type { RunbookStep } from './runbook-schema.js';

export function httpChecksOf(service: ServiceConfig): HttpCheck[] {
  return service.verification.map((check) => ({
    name: check.name,
    path: check.path,
    expectStatus: check.expectStatus,
    expectVersion: check.expectVersion,
    timeoutMs: check.timeoutSeconds * 1000,
  }));
}

/** HTTP: health from the first verification check, traffic on the others. */
export function probeOf(service: ServiceConfig, url: string, environment: string): ProbeSpec {
  const { probe } = service.analysis;
  if (probe.type === 'prometheus') {
    const selector = Object.fromEntries(
      Object.entries(probe.selector).map(([label, value]) => [
        label,
        value.replaceAll('{environment}', environment),
      ]),
    );
    return {
      type: 'prometheus',
      url: probe.url,
      selector,
      scrapeIntervalMs: probe.scrapeIntervalSeconds * 1000,
    };
  }
  const [health, ...traffic] = service.verification;
  const paths = (traffic.length > 0 ? traffic : service.verification).map((check) => ({
    path: check.path,
    expectStatus: check.expectStatus,
  }));
  return { type: 'http', url, healthPath: health?.path ?? '/health', paths };
}

export const settingsOf = (service: ServiceConfig): BakeSettings => ({ ...service.analysis.probeSettings });

export function resolveRollbackPolicy(
  config: RunwayConfig,
  serviceName: string,
  runbookSteps: RunbookStep[],
  planSteps: PlanStep[],
): RollbackPolicy {
  const service = config.services[serviceName] as ServiceConfig;
  const environments = [...new Set(planSteps.map((step) => step.environment))];
  const verification: Record<string, RollbackVerificationSpec> = {};
  for (const environment of environments) {
    const url = config.environments[environment]?.services[serviceName]?.url;
    if (!url) continue;
    verification[environment] = {
      url,
      checks: httpChecksOf(service),
      probe: probeOf(service, url, environment),
      settings: settingsOf(service),
      thresholds: { ...service.analysis.thresholds },
      durationMs: service.analysis.recoverySeconds * 1000,
    };
  }
  const planned = new Set(planSteps.map((step) => step.id));
  const { rollback } = config.settings;
  return {
    deciders: Object.fromEntries(
      environments.map((environment) => [environment, approvalRoster(config, environment, ['deploy'])]),
    ),
    twoPersonEnvironments: rollback.twoPersonEnvironments.filter((environment) =>
      environments.includes(environment),
    ),
    afterSuccessMs: rollback.afterSuccessMinutes * 60_000,
    guidedSteps: runbookSteps
      .filter((step) => step.onFailure === 'guided' && planned.has(step.id))
      .map((step) => step.id),
    skippableVerifications: runbookSteps
      .filter((step) => step.allowSkip && planned.has(step.id))
      .map((step) => step.id),
    verification,
  };
}
