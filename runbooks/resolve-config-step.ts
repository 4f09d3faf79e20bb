// What a config-change release's plan is (R-CONFIG-CHANGE): its bundle is decided with its
// apply-config step (workflows/steps/apply-config/), and nothing in it checks the version.
import type { PlanStep, ReleasePlan } from '../workflows/release-model.js';
import { definitionOf } from '../workflows/steps/step-definitions.js';

export { configBundleOf } from '../workflows/steps/apply-config/apply-config-schema.js';

/**
 * A configuration change leaves the version alone: its verifications (and those after a rollback)
 * check health and key functions, not the version the service reports.
 */
export function withoutVersionChecks(plan: ReleasePlan): ReleasePlan {
  const steps = plan.steps.map(
    (step) => (definitionOf(step.kind).withoutVersionChecks?.(step) ?? step) as PlanStep,
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
