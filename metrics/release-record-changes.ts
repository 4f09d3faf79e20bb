// What a transition changes in a release's record, as the worker's metrics count it: steps that end,
// gates that close, a rollback that starts or finishes, the release's production work that ends, the
// release that ends. Compared with the record as it stood, so a write retried after it landed
// changes nothing the second time.
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
  | { change: 'production-work-ended'; outcome: ReleaseStatus; seconds: number }
  | { change: 'release-ended'; outcome: ReleaseStatus; environment: string };

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
    ...productionWorkChange(before, transition, now),
    ...endChange(before, transition),
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

/**
 * A release's production work is done when every step of its runbook has ended well (succeeded, or
 * skipped by a decision): the release then goes `succeeded` or `awaiting-docs`, though its record
 * stays open while a rollback may still be ordered or its documents are owed. Its compensations are
 * steps of their own, so a rollback after success leaves this true.
 */
function productionWorkDone(
  planStepIds: string[],
  statuses: Record<string, StepStatus | undefined>,
): boolean {
  return (
    planStepIds.length > 0 &&
    planStepIds.every((id) => statuses[id] === 'succeeded' || statuses[id] === 'skipped')
  );
}

/**
 * How long a release took, from its request: once, when its production work is done (outcome
 * `succeeded`), or when the release ends without it (outcome: its final status). Never at the record's
 * close after success, which waits for the rollback window or the documents.
 */
function productionWorkChange(
  before: RecordedState,
  transition: ReleaseTransition,
  now: Date,
): RecordChange[] {
  if (before.finished || productionWorkDone(before.planStepIds, before.stepStatuses)) return [];
  const after = { ...before.stepStatuses };
  for (const step of transition.steps) after[step.id] = step.status;
  const seconds = secondsBetween(before.createdAt, now);
  if (productionWorkDone(before.planStepIds, after))
    return [{ change: 'production-work-ended', outcome: 'succeeded', seconds }];
  if (transition.finished) return [{ change: 'production-work-ended', outcome: transition.status, seconds }];
  return [];
}

function endChange(before: RecordedState, transition: ReleaseTransition): RecordChange[] {
  if (!transition.finished || before.finished) return [];
  return [
    {
      change: 'release-ended',
      outcome: transition.status,
      // Where it ended: the environment of its failure, else of its last step.
      environment: transition.failure?.environment ?? transition.environment ?? '',
    },
  ];
}
