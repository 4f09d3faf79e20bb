// What watches over a release whose plan has oversight (R-SLA, R-ALERT stage announcements): the SLA
// timer runs from the start and stops when production work ends; every change of status is announced
// to the release's channel. Plans without oversight (releases recorded before it) get none of this.
import { announceStage } from './alerting.js';
import { afterNextWrite } from './oversight-alerts.js';
import { holdsServiceLock, type ReleaseOversight, type ReleaseStatus } from './release-model.js';
import { SlaTimer } from './sla-timer.js';
import type { StepContext } from './steps/step-context.js';

export class OversightWatch {
  readonly #sla: SlaTimer | undefined;

  constructor(
    private readonly context: StepContext,
    oversight: ReleaseOversight,
  ) {
    this.#sla = oversight.sla ? new SlaTimer(context, oversight.sla) : undefined;
  }

  /** The release has claimed its record: its SLA starts counting and its first stage is announced. */
  start(): void {
    this.#sla?.start();
    this.#announce(this.context.state.status);
  }

  statusChanged(status: ReleaseStatus): void {
    this.#announce(status);
    if (!holdsServiceLock(status)) this.#sla?.stop();
  }

  #announce(status: ReleaseStatus): void {
    const { state } = this.context;
    const where = state.currentStep
      ? `at ${state.currentStep}${state.environment ? ` (${state.environment})` : ''}`
      : undefined;
    // A status often changes the moment a decision is judged: announced after the write that records it.
    afterNextWrite(this.context, () => announceStage(this.context, status, where));
  }
}
