// A dry run as `runway deploy` shows it before asking: every step of the plan, the version rule
// and when each window step would open.
import type { DryRun } from './api-types.js';
import { formatDuration } from './durations.js';
import { formatTable, type Palette, printableStrings } from './output.js';

type PlanStep = DryRun['plan']['steps'][number];

/** What a step does beyond its name: who decides a gate, how long a bake watches. */
function stepDetail(step: PlanStep): string | undefined {
  switch (step.kind) {
    case 'approval':
      return step.quorum.join(' + ');
    case 'confirm':
      return `confirmed by ${step.role}`;
    case 'deploy':
      return step.strategy;
    case 'bake':
      return `watch for ${formatDuration(step.durationMs)}`;
    case 'baseline':
      return `measure for ${formatDuration(step.durationMs)}`;
    case 'window':
      return `override: ${step.override.quorum.join(' + ')}`;
    default:
      return undefined;
  }
}

/** A step in a few words: its name (when it says more than its id) and what sets it apart. */
function stepSummary(step: PlanStep): string {
  const parts = [step.name === step.id ? undefined : step.name, stepDetail(step)].filter(Boolean);
  return parts.join(' — ');
}

/** The environments the plan walks through, in order of first appearance. */
export function planEnvironments(plan: DryRun['plan']): string[] {
  return [...new Set(plan.steps.map((step) => step.environment))];
}

export function planLines(answer: DryRun, title: string, paint: Palette): string[] {
  const { plan, versionRule, windowEstimates } = printableStrings(answer);
  const rows = plan.steps.map((step, index) => [
    String(index + 1),
    step.id,
    step.environment,
    step.kind,
    stepSummary(step),
  ]);
  const lines = [
    `${paint.bold(title)}: ${plan.description}`,
    ...formatTable(['#', 'STEP', 'ENV', 'KIND', 'WHAT'], rows, paint).map((line) => `  ${line}`),
    `version rule: ${versionRule.rule} — ${versionRule.reason}`,
  ];
  for (const estimate of windowEstimates) {
    const when =
      estimate.outcome === 'open'
        ? 'open now'
        : estimate.outcome === 'wait'
          ? `waits until ${estimate.at}`
          : 'cannot tell (calendar data ended)';
    lines.push(
      `window ${estimate.stepId} (${estimate.environment}): ${when}${estimate.reason ? ` — ${estimate.reason}` : ''}`,
    );
  }
  return lines;
}
