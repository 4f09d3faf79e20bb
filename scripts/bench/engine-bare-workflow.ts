// The engine benchmark's baseline workflow: the same number of no-op steps as Runway's runbook, each
// one activity, one after another; nothing else. Bundled on its own (engine-bare-worker.ts).
import { proxyActivities } from '@temporalio/workflow';
import type { BareStepActivities } from './engine-bare-activities.js';

const { runNoopStep } = proxyActivities<BareStepActivities>({ startToCloseTimeout: '40 seconds' });

export async function bareStepsWorkflow(runId: string, steps: number): Promise<number> {
  for (let step = 1; step <= steps; step++) await runNoopStep({ runId, step });
  return steps;
}
