// R-SEMVER, judged against what production runs as its target reports it. Pure, so every rule is
// tested on its own; the API asks the target, then asks these.
import semver from 'semver';
import type { TargetInspection } from '../../activities/target-inspection-activities.js';
import { PlanError } from '../../runbooks/resolve-release-plan.js';
import type { ReleasePlan, ReleaseType } from '../../workflows/release-model.js';

export const VERSION_RULES = ['greater-than-production', 'patch-bump-of-production', 'none'] as const;
export type VersionRule = (typeof VERSION_RULES)[number];

export interface VersionVerdict {
  rule: VersionRule;
  /** What the environment runs, as its target says; null: nothing yet (a first deploy). */
  running: string | null;
  passed: boolean;
  /** In words, for the caller: the rule, what runs, and what would pass. */
  reason: string;
}

/**
 * The version an environment serves. Blue-green: the active colour's. Rolling: all instances run
 * one version, except during an interrupted rollout, when the highest is the one to build on.
 */
export function runningVersionOf(inspection: TargetInspection): string | null {
  if (inspection.strategy === 'blue-green') {
    const active = inspection.activeColour;
    return active ? (inspection.colours[active]?.version ?? null) : null;
  }
  const versions = inspection.instances.map((instance) => instance.version).filter((v) => semver.valid(v));
  return versions.sort(semver.rcompare)[0] ?? null;
}

/**
 * Regular: greater than production's version. Hotfix: a PATCH bump of it (same MAJOR.MINOR, higher
 * PATCH). Emergency: greater than it, like a regular release (restoring service may need a minor
 * or major version, but never an older one). A config-change ships no version.
 */
export function ruleFor(type: ReleaseType): VersionRule {
  if (type === 'hotfix') return 'patch-bump-of-production';
  if (type === 'config-change') return 'none';
  return 'greater-than-production';
}

export function judgeVersion(
  type: ReleaseType,
  version: string,
  running: string | null,
  environment: string,
): VersionVerdict {
  const rule = ruleFor(type);
  if (rule === 'none') return { rule, running, passed: true, reason: 'a config-change ships no version' };
  if (running === null || semver.valid(running) === null) {
    const what = running === null ? 'nothing runs' : `it runs ${running}, not a semantic version`;
    return { rule, running, passed: true, reason: `every version is allowed: ${what} in ${environment} yet` };
  }
  if (rule === 'greater-than-production') {
    const passed = semver.gt(version, running);
    return {
      rule,
      running,
      passed,
      reason: passed
        ? `${version} is greater than ${running}, which ${environment} runs`
        : `a ${type} release must be greater than the version ${environment} runs: ${environment} runs ${running}, so ${version} is not allowed`,
    };
  }
  const passed =
    semver.major(version) === semver.major(running) &&
    semver.minor(version) === semver.minor(running) &&
    semver.patch(version) > semver.patch(running);
  const next = `${semver.major(running)}.${semver.minor(running)}.${semver.patch(running) + 1}`;
  return {
    rule,
    running,
    passed,
    reason: passed
      ? `${version} is a PATCH bump of ${running}, which ${environment} runs`
      : `a hotfix must be a PATCH bump of the version ${environment} runs (same MAJOR.MINOR, higher PATCH): ${environment} runs ${running}, so ${version} is not allowed (e.g. ${next})`,
  };
}

/** A version the rules refuse (400): the message names the rule and what the environment runs. */
export class VersionRuleError extends PlanError {
  override name = 'VersionRuleError';
}

/**
 * The environment whose running version the rules compare with: production when the plan deploys
 * there, else the last environment it deploys to.
 */
export function ruleEnvironmentOf(plan: ReleasePlan): string | undefined {
  const deployed = [
    ...new Set(plan.steps.filter((step) => step.kind === 'deploy').map((step) => step.environment)),
  ];
  return deployed.includes('production') ? 'production' : deployed.at(-1);
}
