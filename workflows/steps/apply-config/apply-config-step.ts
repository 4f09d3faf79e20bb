// Applies a configuration revision (R-CONFIG-CHANGE): read what is in force, record putting it back
// as the undo, apply the release's revision (compare-and-swap on what was in force), check the
// service runs healthily with it. The undo is recorded before the apply, so an apply that took
// effect but reported failure is undone too.
import { configurationActivities } from '../../activity-proxies.js';
import type { ApplyConfigPlanStep, CompensationEntry, ReleaseInput } from '../../release-model.js';
import { timingOptions } from '../../release-model.js';
import type { StepContext, StepDetail } from '../step-context.js';
import { type CompensationResult, leftAsItIs, releaseTarget, stepKind, stepUndoneBy } from '../step-kind.js';

type RestoreConfig = Extract<CompensationEntry['action'], { kind: 'restore-config' }>;

const configRef = (input: ReleaseInput, step: ApplyConfigPlanStep) => ({
  ...releaseTarget(input, step),
  driver: step.driver,
});

export async function runApplyConfigStep(
  context: StepContext,
  step: ApplyConfigPlanStep,
): Promise<StepDetail> {
  const { input, compensations } = context;
  const ref = configRef(input, step);
  const where = `${input.service} in ${step.environment}`;
  const options = (summary: string) => ({ ...timingOptions(input), summary });

  const before = await configurationActivities.currentConfig.executeWithOptions(
    options(`configuration in force for ${where}`),
    [ref],
  );
  const previous = before.revision;
  // With nothing in force before, there is nothing to put back: the change stands on its own.
  if (previous !== null && previous !== step.revision) {
    compensations.push({
      id: `${step.id}.restore`,
      stepId: step.id,
      environment: step.environment,
      description: `put configuration ${previous} back in force for ${where}`,
      action: { kind: 'restore-config', revision: previous, from: step.revision },
    });
  }
  await configurationActivities.applyConfig.executeWithOptions(
    options(`apply configuration ${step.revision} to ${where} (was ${previous ?? 'none'})`),
    [
      {
        ...ref,
        revision: step.revision,
        expectRevision: previous,
        key: `${input.releaseId}/${step.id}/apply`,
      },
    ],
  );
  await configurationActivities.checkConfig.executeWithOptions(
    options(`check ${where} runs healthily with configuration ${step.revision}`),
    [{ ...ref, revision: step.revision }],
  );
  return { previousRevision: previous, revision: step.revision };
}

/**
 * The undo of an apply-config step: the previous revision back in force, then checked. Like every
 * compensation it undoes only what the release did: a revision someone applied since is left alone.
 */
async function compensateConfig(
  input: ReleaseInput,
  entry: CompensationEntry,
  action: RestoreConfig,
): Promise<CompensationResult> {
  const ref = configRef(input, stepUndoneBy<ApplyConfigPlanStep>(input, entry));
  const options = (summary: string) => ({ ...timingOptions(input), summary: `compensate: ${summary}` });
  try {
    await configurationActivities.applyConfig.executeWithOptions(options(entry.description), [
      {
        ...ref,
        revision: action.revision,
        expectRevision: action.from,
        key: `${input.releaseId}/${entry.id}`,
      },
    ]);
  } catch (error) {
    const left = leftAsItIs(error);
    if (left) return left;
    throw error;
  }
  await configurationActivities.checkConfig.executeWithOptions(
    options(`check configuration ${action.revision} is back in force`),
    [{ ...ref, revision: action.revision }],
  );
  return {
    status: 'done',
    detail: `configuration ${action.revision} is back in force (replacing ${action.from})`,
  };
}

export const applyConfigStep = stepKind<ApplyConfigPlanStep, 'restore-config'>(runApplyConfigStep, {
  traits: { changesTarget: true },
  readBack: (step) => ({ config: step.driver }),
  compensations: {
    'restore-config': {
      run: compensateConfig,
      restores: (action, restored) => {
        restored.revision = action.revision;
      },
    },
  },
});
