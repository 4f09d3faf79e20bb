// A worker's own metrics: what its record activities see releases do (steps ending, gates closing,
// rollbacks, releases ending) and what becomes of alert deliveries. Labels are closed sets from
// configuration or the release model (service, type, environment, kind, outcome, channel): never a
// release id, a version or a message.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RecordedState } from '../db/recorded-state.js';
import type { ReleaseTransition } from '../db/release-records.js';
import type { AlertLevel } from '../workflows/release-model.js';
import { recordChanges } from './release-record-changes.js';

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** From a window that was open to an approval that waited a week (a regular gate's lifetime). */
const GATE_BUCKETS = [
  1,
  10,
  30,
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  3 * DAY,
  7 * DAY,
];
/** The seed's rollback target is minutes, not hours. */
const ROLLBACK_BUCKETS = [
  5,
  10,
  30,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  20 * MINUTE,
  30 * MINUTE,
  HOUR,
];
const RELEASE_BUCKETS = [
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  3 * DAY,
  7 * DAY,
  14 * DAY,
];

export interface AlertDeliveryOutcome {
  channel: string;
  /** webhook, wecom, slack, email; `unconfigured` when the channel is no longer configured. */
  channelType: string;
  level: AlertLevel | 'unknown';
  outcome: 'delivered' | 'failed';
}

/** What the worker's activities report; absent in tests of single activities. */
export interface WorkerMetricsSink {
  /** A transition was applied to a record that stood as `before`. */
  transitionApplied(before: RecordedState, transition: ReleaseTransition): void;
  /** A delivery's final outcome: delivered, or failed after its last attempt. */
  alertDelivered(delivery: AlertDeliveryOutcome): void;
  /** One attempt failed; Temporal retries it. */
  alertAttemptFailed(delivery: Pick<AlertDeliveryOutcome, 'channel' | 'channelType'>): void;
}

export class WorkerMetrics implements WorkerMetricsSink {
  readonly registry = new Registry();
  readonly #releasesEnded: Counter<'service' | 'type' | 'environment' | 'outcome'>;
  readonly #releaseDuration: Histogram<'service' | 'type' | 'outcome'>;
  readonly #gateWait: Histogram<'gate' | 'type' | 'environment'>;
  readonly #rollbacks: Counter<'service' | 'type' | 'cause'>;
  readonly #rollbackDuration: Histogram<'service' | 'cause' | 'verified'>;
  readonly #steps: Counter<'kind' | 'outcome'>;
  readonly #deliveries: Counter<'channel' | 'channel_type' | 'level' | 'outcome'>;
  readonly #failedAttempts: Counter<'channel' | 'channel_type'>;
  readonly #sdkMetricsUp: Gauge;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.#releasesEnded = new Counter({
      name: 'runway_releases_ended_total',
      help: 'Releases whose record the worker closed, by final status (outcome) and the environment they ended in',
      labelNames: ['service', 'type', 'environment', 'outcome'],
      registers,
    });
    this.#releaseDuration = new Histogram({
      name: 'runway_release_duration_seconds',
      help: 'From a release being requested to its production work done (outcome succeeded), or to its end without it',
      labelNames: ['service', 'type', 'outcome'],
      buckets: RELEASE_BUCKETS,
      registers,
    });
    this.#gateWait = new Histogram({
      name: 'runway_gate_wait_seconds',
      help: 'Time a release spent at a gate, from opening to closing, by gate kind',
      labelNames: ['gate', 'type', 'environment'],
      buckets: GATE_BUCKETS,
      registers,
    });
    this.#rollbacks = new Counter({
      name: 'runway_rollbacks_total',
      help: 'Rollbacks started, by cause (automatic, manual, guided)',
      labelNames: ['service', 'type', 'cause'],
      registers,
    });
    this.#rollbackDuration = new Histogram({
      name: 'runway_rollback_duration_seconds',
      help: 'Time to roll back: from the rollback starting to its verification done',
      labelNames: ['service', 'cause', 'verified'],
      buckets: ROLLBACK_BUCKETS,
      registers,
    });
    this.#steps = new Counter({
      name: 'runway_steps_total',
      help: 'Step outcomes recorded, by step kind (a deploy later compensated counts succeeded, then compensated)',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.#deliveries = new Counter({
      name: 'runway_alert_deliveries_total',
      help: 'Alert deliveries by final outcome: delivered, or failed after the last attempt',
      labelNames: ['channel', 'channel_type', 'level', 'outcome'],
      registers,
    });
    this.#failedAttempts = new Counter({
      name: 'runway_alert_delivery_attempts_failed_total',
      help: 'Alert delivery attempts that failed and were retried',
      labelNames: ['channel', 'channel_type'],
      registers,
    });
    this.#sdkMetricsUp = new Gauge({
      name: 'runway_temporal_sdk_metrics_up',
      help: "1 when this scrape includes the Temporal SDK's worker metrics (temporal_*), 0 when its exporter did not answer",
      registers,
    });
  }

  /** Runway's metrics, then the Temporal SDK's when it answered (undefined: it did not). */
  async exposition(sdkMetrics: string | undefined): Promise<string> {
    this.#sdkMetricsUp.set(sdkMetrics === undefined ? 0 : 1);
    const own = await this.registry.metrics();
    if (!sdkMetrics) return own;
    return `${own.endsWith('\n') ? own : `${own}\n`}${sdkMetrics.endsWith('\n') ? sdkMetrics : `${sdkMetrics}\n`}`;
  }

  transitionApplied(before: RecordedState, transition: ReleaseTransition): void {
    const { service, type } = before;
    for (const change of recordChanges(before, transition, new Date())) {
      switch (change.change) {
        case 'step-ended':
          this.#steps.inc({ kind: change.stepKind, outcome: change.outcome });
          break;
        case 'gate-closed':
          this.#gateWait.observe(
            { gate: change.gate, type, environment: change.environment },
            change.seconds,
          );
          break;
        case 'rollback-started':
          this.#rollbacks.inc({ service, type, cause: change.cause });
          break;
        case 'rollback-finished':
          this.#rollbackDuration.observe(
            { service, cause: change.cause, verified: String(change.verified) },
            change.seconds,
          );
          break;
        case 'production-work-ended':
          this.#releaseDuration.observe({ service, type, outcome: change.outcome }, change.seconds);
          break;
        case 'release-ended':
          this.#releasesEnded.inc({
            service,
            type,
            environment: change.environment,
            outcome: change.outcome,
          });
          break;
      }
    }
  }

  alertDelivered(delivery: AlertDeliveryOutcome): void {
    this.#deliveries.inc({
      channel: delivery.channel,
      channel_type: delivery.channelType,
      level: delivery.level,
      outcome: delivery.outcome,
    });
  }

  alertAttemptFailed(delivery: Pick<AlertDeliveryOutcome, 'channel' | 'channelType'>): void {
    this.#failedAttempts.inc({ channel: delivery.channel, channel_type: delivery.channelType });
  }
}
