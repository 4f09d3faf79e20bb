// The release record in PostgreSQL follows the workflow (R-RECORD): one write per transition (a step
// starting or ending, a gate opening, a decision, the end), carrying what changed since the last one.
// Writes go one at a time, so a later one never lands before an earlier one.
import { ActivityFailure, ApplicationFailure, CancellationScope, log } from '@temporalio/workflow';
import type { ReleaseTransition } from '../activities/record-activities.js';
import { recordActivities } from './activity-proxies.js';
import { holdsServiceLock, isActiveStatus, type ReleaseInput, type ReleaseState } from './release-model.js';
import { Serial } from './serial.js';

export interface WriteResult {
  /** False when the record no longer belongs to this workflow (it was closed by reconciliation). */
  applied: boolean;
  /** Another run of the release holds the record (the start's claim was made by that run). */
  heldByAnotherRun?: true;
  /** The write would take the service's lock, which this release holds not: nothing was written. */
  lockHeldBy?: string;
}

export class RecordWriter {
  #seq = 0;
  readonly #serial = new Serial();
  readonly #changedSteps = new Set<string>();
  #decisionsWritten = 0;
  #rejection: string | undefined;
  #writeWaiters: (() => void)[] = [];

  constructor(
    private readonly input: ReleaseInput,
    private readonly state: ReleaseState,
  ) {}

  /**
   * Resolves when a record write in flight, or the next one, has completed. Work started from there
   * has a fixed place in the history (an activity's completion), unlike work started the moment a
   * decision is judged: a decision's local activity may resolve in another activation on replay than
   * it did when the release ran, and commands issued from it could change places with others.
   */
  nextWriteCompleted(): Promise<void> {
    return new Promise((resolve) => this.#writeWaiters.push(resolve));
  }

  /** Releases whatever waits for a next write: the release ends, no write will come. */
  releaseWriteWaiters(): void {
    const waiters = this.#writeWaiters;
    this.#writeWaiters = [];
    for (const resolve of waiters) resolve();
  }

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

  /**
   * Writes the transition now; `summary` names it in Temporal Web. Never cancelled: it is short.
   * Only the main loop's writes (`failsStep`) report a refusal to the step; a decision's write that
   * is refused must not end the release it did not count for.
   */
  write(summary: string, options: { failsStep?: boolean } = {}): Promise<WriteResult> {
    const failsStep = options.failsStep ?? true;
    return this.#serial.run(() =>
      CancellationScope.nonCancellable(() => this.#writeNow(summary, failsStep)).finally(() =>
        this.releaseWriteWaiters(),
      ),
    );
  }

  async #writeNow(summary: string, failsStep: boolean): Promise<WriteResult> {
    const transition = this.#transition();
    try {
      const result = await recordActivities.recordTransition.executeWithOptions(
        { summary: `record: ${summary}` },
        [transition],
      );
      if (!result.applied && transition.seq > 1) {
        log.warn('the release record no longer follows this workflow (closed outside it)', {
          seq: transition.seq,
        });
      }
      return result;
    } catch (error) {
      const cause = error instanceof ActivityFailure ? error.cause : error;
      if (cause instanceof ApplicationFailure && cause.type === 'RecordRejected') {
        // What was refused is written again with the next transition (the release row was written).
        for (const step of transition.steps) this.#changedSteps.add(step.id);
        if (failsStep) this.#rejection = cause.message;
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
      waitingWindow: state.waitingWindow ?? null,
      rollbackPlan: state.rollbackPlan,
      pendingDecision: state.pendingDecision ?? null,
      pendingRollbackOrder: state.pendingRollbackOrder ?? null,
      rollback: state.rollback ?? null,
      rollbackOpenUntil: state.rollbackOpenUntil ?? null,
      ...this.#oversight(),
      // `awaiting-docs` is active but holds no lock (R-POSTHOC): the next release may start meanwhile.
      holdsLock: holdsServiceLock(state.status),
      // A succeeded release that may still be rolled back keeps its record open, without the lock.
      finished: !isActiveStatus(state.status) && state.rollbackOpenUntil === undefined,
      steps,
      decisions,
    };
  }

  /** What oversight adds to the record; nothing for plans without it, whose transitions stay as they were. */
  #oversight(): Partial<ReleaseTransition> {
    if (!this.input.plan.oversight) return {};
    const { state } = this;
    return {
      sla: state.sla ?? null,
      escalations: state.escalations ?? [],
      postHoc: state.postHoc ?? null,
      supersededBy: state.supersededBy ?? null,
    };
  }
}
