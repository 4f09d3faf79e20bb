// The response SLA of hotfix and emergency releases (R-SLA): a durable timer from the workflow's
// start; when it fires before production work has ended, an alert at the SLA's level goes out. The
// release is not killed. Production work ends with any status that holds no lock any more:
// succeeded (or awaiting its documents), rolled back, failed, cancelled, expired, superseded…
import { CancellationScope, isCancellation, log, sleep, workflowInfo } from '@temporalio/workflow';
import { raiseInBackground } from './oversight-alerts.js';
import { spokenDuration } from './oversight-timers.js';
import type { ReleaseOversight } from './release-model.js';
import { now } from './step-records.js';
import type { StepContext } from './steps/step-context.js';

type Sla = NonNullable<ReleaseOversight['sla']>;

export class SlaTimer {
  #scope: CancellationScope | undefined;

  constructor(
    private readonly context: StepContext,
    private readonly sla: Sla,
  ) {}

  /** Starts the timer; the deadline counts from the workflow's start, not from this call. */
  start(): void {
    const { state } = this.context;
    const deadline = workflowInfo().startTime.getTime() + this.sla.limitMs;
    state.sla = { deadline: new Date(deadline).toISOString(), level: this.sla.level };
    const scope = new CancellationScope();
    this.#scope = scope;
    scope
      .run(() =>
        sleep(Math.max(deadline - Date.now(), 1), {
          summary: `SLA: production work must end within ${spokenDuration(this.sla.limitMs)}`,
        }),
      )
      .then(
        () => this.#breached(),
        (error: unknown) => {
          if (!isCancellation(error)) throw error;
        },
      )
      .catch((error: unknown) => log.error('SLA timer failed', { error: String(error) }));
  }

  /** Production work has ended: the timer is cancelled, the state says when. */
  stop(): void {
    const { state } = this.context;
    const scope = this.#scope;
    if (!scope || !state.sla || state.sla.stoppedAt) return;
    state.sla.stoppedAt = now();
    if (state.sla.breachedAt !== undefined) return;
    // Often the moment a decision is judged: the timer is cancelled after the write that records the
    // change (see RecordWriter.nextWriteCompleted); a firing meanwhile finds it stopped.
    void this.context.records.nextWriteCompleted().then(() => scope.cancel());
  }

  async #breached(): Promise<void> {
    const { state, input } = this.context;
    if (!state.sla || state.sla.stoppedAt) return;
    state.sla.breachedAt = now();
    raiseInBackground(this.context, {
      key: 'sla-breached',
      level: this.sla.level,
      kind: 'sla-breached',
      stepId: state.currentStep ?? null,
      environment: state.environment ?? null,
      message: `${input.service} ${input.version} (${input.type}) passed its SLA: production work has not ended ${spokenDuration(this.sla.limitMs)} after the start (status ${state.status}${state.currentStep ? `, at ${state.currentStep}` : ''})`,
      details: { deadline: state.sla.deadline, limitMs: this.sla.limitMs },
    });
    await this.context.records.write('SLA breached', { failsStep: false });
  }
}
