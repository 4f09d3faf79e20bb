// What a deploy step, whatever its strategy, hands the activities that drive its target: the
// target itself, the words its summaries use for it, and its idempotency keys.
import { type DeployPlanStep, type ReleaseInput, timingOptions } from '../../release-model.js';
import { releaseTarget } from '../step-kind.js';

/** A deploy step of a strategy whose driver is `Driver`. */
type DeployStepOver<Driver> = Pick<DeployPlanStep, 'id' | 'environment'> & { driver: Driver };

export function deployTargetOf<Driver>(input: ReleaseInput, step: DeployStepOver<Driver>) {
  return {
    target: { ...releaseTarget(input, step), driver: step.driver },
    where: `${input.service} in ${step.environment}`,
    /** The activity options of one call, with the summary Temporal Web shows for it. */
    options: (summary: string) => ({ ...timingOptions(input), summary }),
    /** One key per driver call, the same on every attempt: a target seeing it again changes nothing. */
    keyOf: (action: string) => `${input.releaseId}/${step.id}/${action}`,
  };
}
