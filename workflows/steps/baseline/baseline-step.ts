// Measures the version running now, just before the deploy that replaces it: the latency a later
// bake compares with (R-RB-TRIGGER-AUTO, "200 % of the baseline measured before the deploy").
import { bakeActivities } from '../../activity-proxies.js';
import type { BaselinePlanStep } from '../../release-model.js';
import { timingOptions } from '../../release-model.js';
import type { StepContext, StepDetail } from '../step-context.js';
import { stepKind } from '../step-kind.js';

export async function runBaselineStep(context: StepContext, step: BaselinePlanStep): Promise<StepDetail> {
  const result = await bakeActivities.measureBaseline.executeWithOptions(
    {
      ...timingOptions(context.input),
      summary: `${step.name}: measure ${context.input.service} in ${step.environment} for ${step.durationMs / 1000} s`,
      startToCloseTimeout: step.durationMs + 60_000,
    },
    [
      {
        releaseId: context.input.releaseId,
        stepId: step.id,
        probe: step.probe,
        durationMs: step.durationMs,
        settings: step.settings,
      },
    ],
  );
  return { ...result };
}

export const baselineStep = stepKind(runBaselineStep);
