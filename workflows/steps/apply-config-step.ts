// Applies a configuration revision (R-CONFIG-CHANGE); the previous revision is its compensation.
import type { ApplyConfigPlanStep } from '../release-model.js';
import type { StepContext, StepDetail } from './step-context.js';

export async function runApplyConfigStep(
  _context: StepContext,
  step: ApplyConfigPlanStep,
): Promise<StepDetail> {
  throw new Error(`step ${step.id}: configuration changes are not supported yet`);
}
