// The compensations of a release (the saga pattern, R-COMPENSATE), kept as data: each entry says
// what undoes which step, so the API can show the rollback plan at any moment, and the workflow runs
// the entries of an environment newest first. Each action is a compare-and-swap on the target: it
// undoes only while the target is still as the release left it.
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { rollingActivities, targetActivities } from './activity-proxies.js';
import type {
  BlueGreenDeployPlanStep,
  CompensationAction,
  CompensationEntry,
  DeployPlanStep,
  ReleaseInput,
  ReleaseState,
  RollingDeployPlanStep,
} from './release-model.js';
import { timingOptions } from './release-model.js';
import { compensateConfig } from './steps/apply-config-step.js';
import { compensateMigration } from './steps/migrate-step.js';

export class CompensationLog {
  constructor(private readonly state: ReleaseState) {}

  /** Records an undo, most recent first. Pushed before the change it undoes takes effect. */
  push(entry: Omit<CompensationEntry, 'status'>): void {
    if (this.state.rollbackPlan.some((existing) => existing.id === entry.id)) return;
    this.state.rollbackPlan.unshift({ ...entry, status: 'pending' });
  }

  /** The entries still to run for one environment, in the order they run. */
  pendingFor(environment: string): CompensationEntry[] {
    return this.state.rollbackPlan.filter(
      (entry) => entry.environment === environment && entry.status === 'pending',
    );
  }
}

export type CompensationResult = { status: 'done' | 'skipped'; detail: string };

/** Runs one compensation. Throws when it could not be carried out (the caller decides what follows). */
export async function runCompensation(
  input: ReleaseInput,
  entry: CompensationEntry,
): Promise<CompensationResult> {
  // A database is migrated down by the service's own tool, not through a deploy driver (R-RB-DB).
  if (entry.action.kind === 'migrate-down') return compensateMigration(input, entry, entry.action);
  // A configuration goes back through the service's configuration driver (R-CONFIG-CHANGE).
  if (entry.action.kind === 'restore-config') return compensateConfig(input, entry, entry.action);
  const step = input.plan.steps.find((candidate) => candidate.id === entry.stepId) as DeployPlanStep;
  const target = {
    releaseId: input.releaseId,
    service: input.service,
    environment: entry.environment,
    driver: step.driver,
  };
  try {
    await runAction(
      { ...target, key: `${input.releaseId}/${entry.id}` },
      entry.action,
      entry.description,
      timingOptions(input),
    );
    return { status: 'done', detail: entry.description };
  } catch (error) {
    const cause = error instanceof ActivityFailure ? error.cause : undefined;
    // Someone changed the target since the release did: undoing now would overwrite their change.
    if (cause instanceof ApplicationFailure && cause.type === 'TargetChanged') {
      return { status: 'skipped', detail: `left as it is: ${cause.message}` };
    }
    throw error;
  }
}

async function runAction(
  target: {
    releaseId: string;
    service: string;
    environment: string;
    driver: DeployPlanStep['driver'];
    key: string;
  },
  action: CompensationAction,
  description: string,
  timings: ReturnType<typeof timingOptions>,
): Promise<void> {
  const options = { ...timings, summary: `compensate: ${description}` };
  // The action was recorded by the step's own strategy, so the driver is the one it needs.
  const blueGreen = { ...target, driver: target.driver as BlueGreenDeployPlanStep['driver'] };
  const rolling = { ...target, driver: target.driver as RollingDeployPlanStep['driver'] };
  switch (action.kind) {
    case 'switch-traffic-back':
      await targetActivities.switchTraffic.executeWithOptions(options, [
        { ...blueGreen, colour: action.to, expectActive: action.from },
      ]);
      return;
    case 'retire-colour':
      await targetActivities.retireColour.executeWithOptions(options, [
        { ...blueGreen, colour: action.colour, expectActive: action.colour },
      ]);
      return;
    case 'restore-instance':
      // Only while the instance still runs the release's version: a hand-made change is left alone.
      await rollingActivities.updateInstance.executeWithOptions(options, [
        { ...rolling, instance: action.instance, version: action.version, expectVersion: action.from },
      ]);
      await rollingActivities.checkInstance.executeWithOptions(
        { ...timings, summary: `check ${action.version} is back on ${action.instance}` },
        [{ ...rolling, instance: action.instance, version: action.version }],
      );
      return;
  }
}
