// The one place that decides what a failure leads to. Today every step failure compensates its
// environment and ends the release; a compensation that fails stops the compensating and ends the
// release `failed`, saying what may be left half-way. (Guided failure will add "wait for a person".)
import { ActivityFailure, ApplicationFailure, isCancellation } from '@temporalio/workflow';
import { GateExpired } from './gate-wait.js';
import type { CompensationEntry, PlanStep, ReleaseStatus } from './release-model.js';

/** Thrown when an approver rejects: the release ends `rejected`, not `failed`. */
export class ReleaseRejected extends Error {}

/** Thrown when the release record refuses a write for good: the step that caused it fails. */
export class RecordRejectedError extends Error {}

export type FailureDecision = { next: 'compensate-and-end'; status: ReleaseStatus; reason: string };

export type Failure =
  | { kind: 'step'; step: PlanStep; error: unknown }
  | { kind: 'compensation'; entry: CompensationEntry; error: unknown; after: FailureDecision };

export function decideAfterFailure(failure: Failure): FailureDecision {
  if (failure.kind === 'compensation') {
    return {
      next: 'compensate-and-end',
      status: failure.after.status === 'cancelled' ? 'cancelled' : 'failed',
      reason: `${failure.after.reason}; then compensation "${failure.entry.description}" failed (${describe(failure.error)}), so ${failure.entry.environment} may be left half-way`,
    };
  }
  const { error } = failure;
  const status: ReleaseStatus =
    error instanceof ReleaseRejected
      ? 'rejected'
      : error instanceof GateExpired
        ? 'expired'
        : isCancellation(error)
          ? 'cancelled'
          : 'failed';
  return { next: 'compensate-and-end', status, reason: describe(error) };
}

/** The innermost message of a failure chain: what actually went wrong, for people to read. */
export function describe(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return describe(error.cause);
  if (isCancellation(error)) return 'cancelled';
  if (error instanceof ApplicationFailure || error instanceof Error) return error.message;
  return String(error);
}
