// Watches the new version for the bake's duration (R-RB-TRIGGER-AUTO). A tripped trigger ends the
// step with a `BakeUnhealthy` failure carrying the figures; the engine rolls back on it.
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { bakeActivities } from '../../activity-proxies.js';
import type { BakePlanStep, RollbackTriggerReport } from '../../release-model.js';
import { timingOptions } from '../../release-model.js';
import type { StepContext, StepDetail } from '../step-context.js';
import { stepKind } from '../step-kind.js';

export async function runBakeStep(context: StepContext, step: BakePlanStep): Promise<StepDetail> {
  const baselineDetail = step.baselineStepId
    ? context.state.steps.find((record) => record.id === step.baselineStepId)?.detail
    : undefined;
  const baseline = baselineDetail
    ? {
        p95Ms: (baselineDetail.p95Ms as number | null) ?? null,
        requests: Number(baselineDetail.requests ?? 0),
      }
    : null;
  const result = await bakeActivities.bakeService.executeWithOptions(
    {
      ...timingOptions(context.input),
      summary: `${step.name}: watch ${context.input.service} ${context.input.version} in ${step.environment} for ${step.durationMs / 1000} s`,
      startToCloseTimeout: step.durationMs + 120_000,
    },
    [
      {
        releaseId: context.input.releaseId,
        stepId: step.id,
        probe: step.probe,
        durationMs: step.durationMs,
        settings: step.settings,
        thresholds: step.thresholds,
        baseline,
      },
    ],
  );
  return { ...result, baseline };
}

/** The trigger a bake tripped, when `error` is a bake's unhealthy verdict. */
export function trippedTrigger(error: unknown): RollbackTriggerReport | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (!(cause instanceof ApplicationFailure) || cause.type !== 'BakeUnhealthy') return undefined;
  const details = cause.details?.[0] as RollbackTriggerReport | undefined;
  if (!details) return undefined;
  const { trigger, measured, threshold, unit, summary } = details;
  return { trigger, measured, threshold, unit, summary };
}

export const bakeStep = stepKind(runBakeStep, { traits: { verifies: true } });
