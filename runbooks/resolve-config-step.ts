// Resolves an apply-config step (R-CONFIG-CHANGE) against the service's configuration driver, and
// decides at plan time what a config-change release is: which bundle, and whether it is sensitive.
import type { CommandConfig, RunwayConfig } from '../config/config-schema.js';
import type { ApplyConfigPlanStep, ChecklistTag, ReleasePlan } from '../workflows/release-model.js';
import { PlanError, toCommandSpec } from './plan-error.js';

type ServiceConfig = RunwayConfig['services'][string];

/** The bundle a config-change release applies; a PlanError (400) names what the service offers. */
export function configBundleOf(service: ServiceConfig, revision: string): { sensitive: boolean } {
  const configuration = service.configuration;
  if (!configuration) {
    throw new PlanError(
      `service ${service.name} declares no configuration bundles, so it takes no config-change`,
    );
  }
  const bundle = configuration.bundles[revision];
  if (!bundle) {
    const known = Object.keys(configuration.bundles).sort().join(', ');
    throw new PlanError(`service ${service.name} has no configuration bundle ${revision} (it has: ${known})`);
  }
  return { sensitive: bundle.sensitive };
}

/**
 * {revision}, {expectedRevision} and {idempotencyKey} stay placeholders: the undo applies and checks
 * the previous revision with the same commands, and only the step knows what was in force.
 */
export function resolveApplyConfigStep(
  base: { id: string; name: string; environment: string; checklist?: ChecklistTag },
  service: ServiceConfig,
  values: Record<string, string>,
  revision: string,
): ApplyConfigPlanStep {
  configBundleOf(service, revision);
  const { actions } = (service.configuration as NonNullable<ServiceConfig['configuration']>).driver;
  const { version: _revisionFilledPerCall, ...perCall } = values;
  const command = (config: CommandConfig) => toCommandSpec(config, perCall, base.environment);
  return {
    ...base,
    kind: 'apply-config',
    revision,
    driver: {
      type: 'command',
      actions: {
        current: command(actions.current),
        apply: command(actions.apply),
        check: command(actions.check),
      },
    },
  };
}

/**
 * A configuration change leaves the version alone: its verifications (and those after a rollback)
 * check health and key functions, not the version the service reports.
 */
export function withoutVersionChecks(plan: ReleasePlan): ReleasePlan {
  const steps = plan.steps.map((step) =>
    step.kind === 'verify'
      ? { ...step, checks: step.checks.map((check) => ({ ...check, expectVersion: false })) }
      : step,
  );
  const rollback = plan.rollback && {
    ...plan.rollback,
    verification: Object.fromEntries(
      Object.entries(plan.rollback.verification).map(([environment, spec]) => [
        environment,
        { ...spec, checks: spec.checks.map((check) => ({ ...check, expectVersion: false })) },
      ]),
    ),
  };
  return { ...plan, steps, ...(rollback ? { rollback } : {}) };
}
