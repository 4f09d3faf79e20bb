// HTTP verification of an environment: every check passes in the same round, within the attempts.
import { stepActivities } from '../../activity-proxies.js';
import type { VerifyPlanStep } from '../../release-model.js';
import { timingOptions } from '../../release-model.js';
import type { StepContext, StepDetail } from '../step-context.js';
import { stepKind } from '../step-kind.js';

export async function runVerifyStep(context: StepContext, step: VerifyPlanStep): Promise<StepDetail> {
  const longestCheck = Math.max(...step.checks.map((check) => check.timeoutMs));
  const result = await stepActivities.verifyService.executeWithOptions(
    {
      ...timingOptions(context.input),
      summary: `${step.name}: ${step.checks.map((check) => check.name).join(', ')}`,
      startToCloseTimeout: step.attempts * (step.intervalMs + longestCheck) + 30_000,
    },
    [
      {
        releaseId: context.input.releaseId,
        stepId: step.id,
        url: step.url,
        version: context.input.version,
        checks: step.checks,
        attempts: step.attempts,
        intervalMs: step.intervalMs,
      },
    ],
  );
  return { attempt: result.attempt, checks: result.checks };
}

export const verifyStep = stepKind(runVerifyStep, { traits: { verifies: true } });
