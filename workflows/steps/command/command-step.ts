// A configured command, e.g. the integration tests (R-CHECKLIST automated items).
import { stepActivities } from '../../activity-proxies.js';
import type { CommandPlanStep } from '../../release-model.js';
import { timingOptions } from '../../release-model.js';
import type { StepContext, StepDetail } from '../step-context.js';
import { stepKind } from '../step-kind.js';

export async function runCommandStep(context: StepContext, step: CommandPlanStep): Promise<StepDetail> {
  const result = await stepActivities.runStepCommand.executeWithOptions(
    {
      ...timingOptions(context.input),
      summary: `${step.name} (${step.environment})`,
      startToCloseTimeout: step.command.timeoutMs + 30_000,
      retry: { maximumAttempts: step.maxAttempts },
    },
    [{ releaseId: context.input.releaseId, stepId: step.id, command: step.command }],
  );
  return { exitCode: result.exitCode, durationMs: result.durationMs, output: result.output };
}

export const commandStep = stepKind(runCommandStep);
