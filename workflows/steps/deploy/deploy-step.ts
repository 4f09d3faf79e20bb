// The deploy kind: blue-green or rolling, as the service's config says, and the undos each records.
// Every undo is a compare-and-swap on the target: it acts only while the target is still as the
// release left it, and the target refuses (TargetChanged) otherwise.
import { rollingActivities, targetActivities } from '../../activity-proxies.js';
import {
  type BlueGreenDeployPlanStep,
  type CompensationEntry,
  type DeployPlanStep,
  type ReleaseInput,
  type RollingDeployPlanStep,
  timingOptions,
} from '../../release-model.js';
import type { StepContext } from '../step-context.js';
import { type CompensationResult, leftAsItIs, stepKind, stepUndoneBy } from '../step-kind.js';
import { runDeployStep } from './blue-green-deploy.js';
import { runRollingDeployStep } from './rolling-deploy.js';

/** The deploy step an undo belongs to, and how its driver actions are called. */
function undoOf<S extends DeployPlanStep>(input: ReleaseInput, entry: CompensationEntry) {
  const step = stepUndoneBy<S>(input, entry);
  const target = {
    releaseId: input.releaseId,
    service: input.service,
    environment: entry.environment,
    driver: step.driver as S['driver'],
    key: `${input.releaseId}/${entry.id}`,
  };
  return { target, options: { ...timingOptions(input), summary: `compensate: ${entry.description}` } };
}

/** Runs a driver action as an undo: done, or left as it is when the target changed since. */
async function undoWith(entry: CompensationEntry, act: () => Promise<unknown>): Promise<CompensationResult> {
  try {
    await act();
    return { status: 'done', detail: entry.description };
  } catch (error) {
    const left = leftAsItIs(error);
    if (left) return left;
    throw error;
  }
}

type DeployUndo = 'switch-traffic-back' | 'retire-colour' | 'restore-instance';

const runDeploy = (context: StepContext, step: DeployPlanStep) =>
  step.strategy === 'rolling' ? runRollingDeployStep(context, step) : runDeployStep(context, step);

export const deployStep = stepKind<DeployPlanStep, DeployUndo>(runDeploy, {
  traits: { changesTarget: true, recordsPreviousVersion: true },
  readBack: (step) => (step.strategy === 'rolling' ? { rolling: step.driver } : {}),
  compensations: {
    /** Blue-green: traffic back to the colour that served before, while the release's colour does. */
    'switch-traffic-back': {
      run: (input, entry, action) => {
        const { target, options } = undoOf<BlueGreenDeployPlanStep>(input, entry);
        return undoWith(entry, () =>
          targetActivities.switchTraffic.executeWithOptions(options, [
            { ...target, colour: action.to, expectActive: action.from },
          ]),
        );
      },
      restores: (action, restored, previousVersion) => {
        restored.version = action.version !== undefined ? action.version : previousVersion();
      },
    },
    /** A first-ever deploy: its colour out of service again, while it is the active one. */
    'retire-colour': {
      run: (input, entry, action) => {
        const { target, options } = undoOf<BlueGreenDeployPlanStep>(input, entry);
        return undoWith(entry, () =>
          targetActivities.retireColour.executeWithOptions(options, [
            { ...target, colour: action.colour, expectActive: action.colour },
          ]),
        );
      },
      restores: (_action, restored) => {
        restored.version ??= null;
      },
    },
    /** Rolling: the previous version back on one instance, while it runs the release's. */
    'restore-instance': {
      run: (input, entry, action) => {
        const { target, options } = undoOf<RollingDeployPlanStep>(input, entry);
        return undoWith(entry, async () => {
          await rollingActivities.updateInstance.executeWithOptions(options, [
            { ...target, instance: action.instance, version: action.version, expectVersion: action.from },
          ]);
          await rollingActivities.checkInstance.executeWithOptions(
            { ...timingOptions(input), summary: `check ${action.version} is back on ${action.instance}` },
            [{ ...target, instance: action.instance, version: action.version }],
          );
        });
      },
      restores: (action, restored) => {
        restored.instances = { ...restored.instances, [action.instance]: action.version };
      },
    },
  },
});
