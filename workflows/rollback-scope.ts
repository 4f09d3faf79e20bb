// Which environment a rollback or an abort is about, so that the API (which puts the caller's roles
// there in the claim) and the workflow (which checks them against the roster) agree. Pure.
import type { ReleasePlan, ReleaseState } from './release-model.js';

/**
 * The environment of the newest change still recorded for undoing (the first entry of the rollback
 * plan that is not skipped), else the one the release is working in, else the plan's first.
 */
export function rollbackEnvironment(
  plan: Pick<ReleasePlan, 'steps'>,
  state: Pick<ReleaseState, 'rollbackPlan' | 'environment'>,
): string {
  const newest = state.rollbackPlan.find((entry) => entry.status !== 'skipped');
  return newest?.environment ?? state.environment ?? plan.steps[0]?.environment ?? 'production';
}
