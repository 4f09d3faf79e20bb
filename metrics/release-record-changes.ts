// What a transition changes in a release's record, as the worker's metrics count it: steps that end,
// gates that close, a rollback that starts or finishes, the release that ends. Compared with the
// record as it stood, so a write retried after it landed changes nothing the second time.
import type { RecordedState } from '../db/recorded-state.js';
import type { ReleaseTransition } from '../db/release-records.js';
import type { ReleaseStatus, RollbackReport, StepStatus } from '../workflows/release-model.js';

/** The gates a release waits at for people or time. Steps are gates by their kind. */
export const GATE_KINDS = ['approval', 'confirmation', 'window', 'decision', 'second-person'] as const;
export type GateKind = (typeof GATE_KINDS)[number];

const GATE_OF_STEP_KIND: Partial<Record<string, GateKind>> = {
  approval: 'approval',
  confirm: 'confirmation',
  window: 'window',
};

export type RecordChange =
  | { change: 'step-ended'; stepKind: string; outcome: StepStatus }
  | { change: 'gate-closed'; gate: GateKind; environment: string; seconds: number }
  | { change: 'rollback-started'; cause: RollbackReport['cause'] }
  | { change: 'rollback-finished'; cause: RollbackReport['cause']; verified: boolean; seconds: number }
  | { change: 'release-ended'; outcome: ReleaseStatus; environment: string; seconds: number };

const secondsBetween = (from: string | Date, to: string | Date): number =>
  Math.max(0, (new Date(to).getTime() - new Date(from).getTime()) / 1000);

export function recordChanges(
  before: RecordedState,
  transition: ReleaseTransition,
  now: Date,
): RecordChange[] {
  return [
    ...stepChanges(before, transition),
    ...waitingGateChanges(before, transition, now),
    ...rollbackChanges(before.rollback, transition.rollback ?? null),
    ...endChange(before, transition, now),
  ];
}

function stepChanges(before: RecordedState, transition: ReleaseTransition): RecordChange[] {
  const changes: RecordChange[] = [];
  for (const step of transition.steps) {
    if (step.status === 'running' || before.stepStatuses[step.id] === step.status) continue;
    changes.push({ change: 'step-ended', stepKind: step.kind, outcome: step.status });
    const gate = GATE_OF_STEP_KIND[step.kind];
    // A gate step's own end, not a later change of its outcome (a compensation).
    const wasOpen = before.stepStatuses[step.id] === undefined || before.stepStatuses[step.id] === 'running';
    if (gate && wasOpen && step.finishedAt) {
      changes.push({
        change: 'gate-closed',
        gate,
        environment: step.environment,
        seconds: secondsBetween(step.startedAt, step.finishedAt),
      });
    }
  }
  return changes;
}

/** A failure's decision (R-GUIDED) and a production order's second person wait outside any step. */
function waitingGateChanges(before: RecordedState, transition: ReleaseTransition, now: Date): RecordChange[] {
  const changes: RecordChange[] = [];
  const decision = before.pendingDecision;
  if (decision && transition.pendingDecision?.gateId !== decision.gateId) {
    changes.push({
      change: 'gate-closed',
      gate: 'decision',
      environment: decision.environment,
      seconds: secondsBetween(decision.since, now),
    });
  }
  const order = before.pendingRollbackOrder;
  if (order && transition.pendingRollbackOrder?.at !== order.at) {
    changes.push({
      change: 'gate-closed',
      gate: 'second-person',
      environment: order.environment,
      seconds: secondsBetween(order.at, now),
    });
  }
  return changes;
}

function rollbackChanges(before: RollbackReport | null, after: RollbackReport | null): RecordChange[] {
  if (!after) return [];
  const changes: RecordChange[] = [];
  if (!before) changes.push({ change: 'rollback-started', cause: after.cause });
  if (after.finishedAt && !before?.finishedAt) {
    changes.push({
      change: 'rollback-finished',
      cause: after.cause,
      verified: after.verification.every((report) => report.passed),
      seconds: (after.durationMs ?? secondsBetween(after.startedAt, after.finishedAt) * 1000) / 1000,
    });
  }
  return changes;
}

function endChange(before: RecordedState, transition: ReleaseTransition, now: Date): RecordChange[] {
  if (!transition.finished || before.finished) return [];
  return [
    {
      change: 'release-ended',
      outcome: transition.status,
      // Where it ended: the environment of its failure, else of its last step.
      environment: transition.failure?.environment ?? transition.environment ?? '',
      seconds: secondsBetween(before.createdAt, now),
    },
  ];
}
