// Resolves an apply-config step (R-CONFIG-CHANGE) against the service's configuration driver.
import type { RunwayConfig } from '../config/config-schema.js';
import type { ApplyConfigPlanStep, ChecklistTag } from '../workflows/release-model.js';
import { PlanError } from './resolve-release-plan.js';

export function resolveApplyConfigStep(
  base: { id: string; name: string; environment: string; checklist?: ChecklistTag },
  _service: RunwayConfig['services'][string],
  _values: Record<string, string>,
  _revision: string,
): ApplyConfigPlanStep {
  throw new PlanError(`step ${base.id}: configuration changes are not supported yet`);
}
