// The release record in PostgreSQL follows the workflow (R-RECORD): one write per transition (a step
// starting or ending, a gate opening, a decision, the end), carrying what changed since the last one.
// Writes go one at a time, so a later one never lands before an earlier one.
import { ActivityFailure, ApplicationFailure, CancellationScope } from '@temporalio/workflow';
import type { ReleaseTransition } from '../activities/record-activities.js';
import { recordActivities } from './activity-proxies.js';
import { holdsServiceLock, isActiveStatus, type ReleaseInput, type ReleaseState } from './release-model.js';
import { Serial } from './serial.js';

export interface WriteResult {
  /** False when the record no longer belongs to this workflow (it was closed by reconciliation). */
  applied: boolean;
}

export class RecordWriter {
  #seq = 0;
  readonly #serial = new Serial();
  readonly #changedSteps = new Set<string>();
  #decisionsWritten = 0;
  #rejection: string | undefined;

  constructor(
    private readonly input: ReleaseInput,
    private readonly state: ReleaseState,
  ) {}

  stepChanged(stepId: string): void {
    this.#changedSteps.add(stepId);
  }

  /**
   * A write that PostgreSQL refused for good (a constraint, bad data), if one happened since the
   * last call: the step that caused it fails with this message rather than retrying for ever.
   */
  takeRejection(): string | undefined {
    const rejection = this.#rejection;
    this.#rejection = undefined;
    return rejection;
  }

  /** Writes the transition now; `summary` names it in Temporal Web. Never cancelled: it is short. */
  write(summary: string): Promise<WriteResult> {
    return this.#serial.run(() => CancellationScope.nonCancellable(() => this.#writeNow(summary)));
  }

  async #writeNow(summary: string): Promise<WriteResult> {
    const transition = this.#transition();
    try {
      return await recordActivities.recordTransition.executeWithOptions({ summary: `record: ${summary}` }, [
        transition,
      ]);
    } catch (error) {
      const cause = error instanceof ActivityFailure ? error.cause : error;
      if (cause instanceof ApplicationFailure && cause.type === 'RecordRejected') {
        this.#rejection = cause.message;
        return { applied: true };
      }
      throw error;
    }
  }

  #transition(): ReleaseTransition {
    const { state } = this;
    const steps = state.steps.filter((step) => this.#changedSteps.has(step.id));
    this.#changedSteps.clear();
    const decisions = state.decisions.filter((decision) => decision.seq > this.#decisionsWritten);
    this.#decisionsWritten = state.decisions.at(-1)?.seq ?? this.#decisionsWritten;
    this.#seq += 1;
    return {
      releaseId: this.input.releaseId,
      seq: this.#seq,
      status: state.status,
      currentStep: state.currentStep ?? null,
      environment: state.environment ?? null,
      failure: state.failure ?? null,
      pendingGate: state.pendingGate ?? null,
      rollbackPlan: state.rollbackPlan,
      holdsLock: holdsServiceLock(state.status),
      finished: !isActiveStatus(state.status),
      steps,
      decisions,
    };
  }
}
