// Blue-green deploy (R-RB-BLUEGREEN): inspect, deploy the idle colour, check it, switch. Deploy and
// switch carry the colour the release found active, so a target switched by hand meanwhile refuses
// rather than taking a deploy onto live traffic. The undo is recorded before the switch: a switch
// that took effect but reported failure is undone too.
import { targetActivities } from '../../activity-proxies.js';
import { type BlueGreenDeployPlanStep, otherColour } from '../../release-model.js';
import type { StepContext, StepDetail } from '../step-context.js';
import { deployTargetOf } from './deploy-target.js';

export async function runDeployStep(
  context: StepContext,
  step: BlueGreenDeployPlanStep,
): Promise<StepDetail> {
  const { input, compensations } = context;
  const { target, where, options, keyOf } = deployTargetOf(input, step);
  const before = await targetActivities.inspectTarget.executeWithOptions(options(`inspect ${where}`), [
    target,
  ]);
  const active = before.activeColour;
  const idle = active === null ? 'blue' : otherColour(active);
  await targetActivities.deployToColour.executeWithOptions(
    options(`deploy ${input.version} to ${idle} (idle) of ${where}`),
    [{ ...target, colour: idle, version: input.version, expectActive: active, key: keyOf(`deploy-${idle}`) }],
  );
  await targetActivities.checkColour.executeWithOptions(
    options(`check ${input.version} on ${idle} of ${where} before it takes traffic`),
    [{ ...target, colour: idle, version: input.version }],
  );
  compensations.push(
    active === null
      ? {
          id: `${step.id}.retire`,
          stepId: step.id,
          environment: step.environment,
          description: `take ${idle} of ${where} out of service (nothing served before)`,
          action: { kind: 'retire-colour', colour: idle },
        }
      : {
          id: `${step.id}.switch-back`,
          stepId: step.id,
          environment: step.environment,
          description: `switch ${where} back to ${active}`,
          action: {
            kind: 'switch-traffic-back',
            to: active,
            from: idle,
            version: before.colours[active]?.version ?? null,
          },
        },
  );
  await targetActivities.switchTraffic.executeWithOptions(
    options(`switch ${where} to ${idle}${active === null ? ' (first deploy)' : ''}`),
    [{ ...target, colour: idle, expectActive: active, key: keyOf(`switch-${idle}`) }],
  );
  return {
    previousColour: active,
    newColour: idle,
    previousVersion: active ? (before.colours[active]?.version ?? null) : null,
  };
}
