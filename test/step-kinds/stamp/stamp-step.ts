// The test-only stamp kind's engine side: stamp the label (its undo recorded first), and the undo.
// A workflow bundle whose entry imports this file knows the kind.
import { proxyActivities } from '@temporalio/workflow';
import type { RestoredState } from '../../../activities/rollback-verification-activities.js';
import type { CompensationEntry, ReleaseInput } from '../../../workflows/release-model.js';
import type { StepContext } from '../../../workflows/steps/step-context.js';
import type { StepKind } from '../../../workflows/steps/step-kind.js';
import { registerStepKind } from '../../../workflows/steps/step-kinds.js';
import type { StampActivities } from './stamp-activities.js';
import type { StampPlanStep } from './stamp-schema.js';

const stamps = proxyActivities<StampActivities>({ startToCloseTimeout: '1 minute' });

export const stampStep = {
  traits: {
    changesTarget: true,
    needsDatabase: false,
    verifies: false,
    recordsPreviousVersion: false,
    gate: false,
  },
  async execute(context: StepContext, step: StampPlanStep) {
    context.compensations.push({
      id: `${step.id}.unstamp`,
      stepId: step.id,
      environment: step.environment,
      description: `take stamp ${step.label} off ${step.environment}`,
      action: { kind: 'unstamp', label: step.label } as unknown as CompensationEntry['action'],
    });
    await stamps.stamp({ environment: step.environment, label: step.label });
    return { stamped: step.label };
  },
  compensations: {
    unstamp: {
      async run(_input: ReleaseInput, entry: CompensationEntry, action: { label: string }) {
        await stamps.unstamp({ environment: entry.environment, label: action.label });
        return { status: 'done' as const, detail: entry.description };
      },
      restores: (action: { label: string }, restored: RestoredState) => {
        restored.revision = `without ${action.label}`;
      },
    },
  },
};

registerStepKind('stamp', stampStep as unknown as StepKind<never, never>);
