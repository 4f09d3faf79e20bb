// Rolling deploy (R-RB-ROLLING): list the instances, update them `batchSize` at a time, and check
// every instance of a batch before the next batch starts. Each instance's undo is recorded before
// its update, so a failure in batch k returns every instance updated so far to its previous version,
// newest first. Instances already on the release's version are not updated again (a retried step
// does not update twice) but are still checked: a retry must not pass an instance that failed.
import { rollingActivities } from '../../activity-proxies.js';
import type { RollingDeployPlanStep } from '../../release-model.js';
import type { StepContext, StepDetail } from '../step-context.js';
import { deployTargetOf } from './deploy-target.js';

interface ListedInstance {
  instance: string;
  version: string;
}

/**
 * Waits for every call of a batch before failing with the first failure: compensating while an
 * update is still under way would race it on the same instance.
 */
async function settleAll(calls: Promise<unknown>[]): Promise<void> {
  const outcomes = await Promise.allSettled(calls);
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}

function inBatches<T>(items: T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += size) batches.push(items.slice(start, start + size));
  return batches;
}

export async function runRollingDeployStep(
  context: StepContext,
  step: RollingDeployPlanStep,
): Promise<StepDetail> {
  const { input, compensations } = context;
  const { target, where, options, keyOf } = deployTargetOf(input, step);
  const listed: ListedInstance[] = await rollingActivities.listInstances.executeWithOptions(
    options(`list the instances of ${where}`),
    [target],
  );
  const batches = inBatches(listed, step.batchSize);
  const outdated = (instance: ListedInstance) => instance.version !== input.version;

  const update = async ({ instance, version: previous }: ListedInstance) => {
    compensations.push({
      id: `${step.id}.restore-${instance}`,
      stepId: step.id,
      environment: step.environment,
      description: `put ${previous} back on ${instance} of ${where}`,
      action: { kind: 'restore-instance', instance, version: previous, from: input.version },
    });
    await rollingActivities.updateInstance.executeWithOptions(
      options(`update ${instance} of ${where} from ${previous} to ${input.version}`),
      [
        {
          ...target,
          instance,
          version: input.version,
          expectVersion: previous,
          key: keyOf(`update-${instance}`),
        },
      ],
    );
  };
  const check = ({ instance }: ListedInstance) =>
    rollingActivities.checkInstance.executeWithOptions(
      options(`check ${input.version} on ${instance} of ${where}`),
      [{ ...target, instance, version: input.version }],
    );

  // A failed check fails the step as it is (its failure names the instance): the failure policy
  // reads the activity's failure, and a cancellation must stay one.
  for (const batch of batches) {
    // The instances of one batch are out of service together: that is what the batch size bounds.
    await settleAll(batch.filter(outdated).map(update));
    await settleAll(batch.map(check));
  }
  return {
    batches: batches.map((batch) => batch.map((instance) => instance.instance)),
    instances: listed.map((instance) => instance.instance),
    updated: listed.filter(outdated).map((instance) => instance.instance),
    previousVersions: Object.fromEntries(listed.map((instance) => [instance.instance, instance.version])),
  };
}
