// The decision of R-RB-TRIGGER-AUTO: does what a bake measured call for a rollback? Pure, so a
// workflow may run it and replay it.
import type { BakeMeasurement } from './measurement.js';
import type { AnalysisThresholds } from './thresholds.js';

/** In the order they are judged: the first that trips is the verdict's trigger. */
export const BAKE_TRIGGERS = ['health', 'error-rate', 'latency-p95'] as const;
export type BakeTrigger = (typeof BAKE_TRIGGERS)[number];

export type TriggerUnit = 'failures' | 'percent' | 'ms';

export type TriggerCheck =
  | {
      trigger: BakeTrigger;
      outcome: 'passed' | 'tripped';
      measured: number;
      threshold: number;
      unit: TriggerUnit;
      detail: string;
    }
  | { trigger: BakeTrigger; outcome: 'no-verdict'; detail: string };

/** The old version's latency, measured just before the deploy. */
export interface BakeBaseline {
  p95Ms: number | null;
  requests: number;
}

export type BakeVerdict =
  | { status: 'healthy'; summary: string; checks: TriggerCheck[] }
  | {
      status: 'unhealthy';
      trigger: BakeTrigger;
      measured: number;
      threshold: number;
      unit: TriggerUnit;
      summary: string;
      checks: TriggerCheck[];
    }
  /** Not one trigger could be judged: no data, or too little of it. */
  | { status: 'inconclusive'; summary: string; checks: TriggerCheck[] };

/** The baseline a measurement of the old version gives; null when it measured no traffic. */
export function baselineOf(measurement: BakeMeasurement): BakeBaseline | null {
  if (measurement.traffic === null) return null;
  return { p95Ms: measurement.traffic.p95Ms, requests: measurement.traffic.requests };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function judged(
  trigger: BakeTrigger,
  tripped: boolean,
  measured: number,
  threshold: number,
  unit: TriggerUnit,
  detail: string,
): TriggerCheck {
  return { trigger, outcome: tripped ? 'tripped' : 'passed', measured, threshold, unit, detail };
}

function judgeHealth(measurement: BakeMeasurement, thresholds: AnalysisThresholds): TriggerCheck {
  const { health } = measurement;
  if (health === null) return { trigger: 'health', outcome: 'no-verdict', detail: 'health is not measured' };
  const checks = health.ok + health.failed;
  if (checks === 0) return { trigger: 'health', outcome: 'no-verdict', detail: 'no health check ran' };
  const limit = thresholds.healthConsecutiveFailures;
  const tripped = health.consecutiveFailures >= limit;
  return judged(
    'health',
    tripped,
    health.consecutiveFailures,
    limit,
    'failures',
    `${health.consecutiveFailures} consecutive health check failures (${health.failed} of ${checks} failed); trips at ${limit}`,
  );
}

function judgeErrorRate(measurement: BakeMeasurement, thresholds: AnalysisThresholds): TriggerCheck {
  const { traffic } = measurement;
  if (traffic === null)
    return { trigger: 'error-rate', outcome: 'no-verdict', detail: 'traffic is not measured' };
  if (traffic.requests < thresholds.minRequests) {
    return {
      trigger: 'error-rate',
      outcome: 'no-verdict',
      detail: `${round(traffic.requests, 1)} requests, fewer than the ${thresholds.minRequests} needed for a verdict`,
    };
  }
  const percent = round((traffic.errors / traffic.requests) * 100, 2);
  const limit = thresholds.errorRatePercent;
  return judged(
    'error-rate',
    percent > limit,
    percent,
    limit,
    'percent',
    `error rate ${percent}% (${round(traffic.errors, 1)} of ${round(traffic.requests, 1)} requests); trips above ${limit}%`,
  );
}

function judgeLatency(
  measurement: BakeMeasurement,
  baseline: BakeBaseline | null,
  thresholds: AnalysisThresholds,
): TriggerCheck {
  const noVerdict = (detail: string): TriggerCheck => ({
    trigger: 'latency-p95',
    outcome: 'no-verdict',
    detail,
  });
  const { traffic } = measurement;
  if (traffic === null) return noVerdict('traffic is not measured');
  if (baseline === null || baseline.p95Ms === null) {
    return noVerdict('no baseline p95 was measured on the previous version');
  }
  if (baseline.requests < thresholds.minRequests) {
    return noVerdict(
      `the baseline has ${round(baseline.requests, 1)} requests, fewer than the ${thresholds.minRequests} needed`,
    );
  }
  const reference = Math.max(baseline.p95Ms, thresholds.baselineFloorMs);
  if (reference <= 0) return noVerdict('the baseline p95 is 0 ms and no baselineFloorMs is set');
  if (traffic.requests < thresholds.minRequests) {
    return noVerdict(
      `${round(traffic.requests, 1)} requests, fewer than the ${thresholds.minRequests} needed for a verdict`,
    );
  }
  if (traffic.p95Ms === null) return noVerdict('no request latency was measured');
  const measured = round(traffic.p95Ms, 1);
  const limit = round((reference * thresholds.p95PercentOfBaseline) / 100, 1);
  const floored = reference > baseline.p95Ms ? ` (floor ${thresholds.baselineFloorMs} ms)` : '';
  return judged(
    'latency-p95',
    measured > limit,
    measured,
    limit,
    'ms',
    `p95 ${measured} ms against a baseline of ${round(baseline.p95Ms, 1)} ms${floored}; trips above ${thresholds.p95PercentOfBaseline}% of it, ${limit} ms`,
  );
}

/**
 * Judges a bake measurement against the thresholds: unhealthy on the first trigger that trips (in
 * BAKE_TRIGGERS order), healthy when none trips and at least one could be judged, inconclusive when
 * none could. A trigger without enough data gives no verdict and says why, rather than guessing.
 */
export function judgeBake(
  measurement: BakeMeasurement,
  baseline: BakeBaseline | null,
  thresholds: AnalysisThresholds,
): BakeVerdict {
  const checks = [
    judgeHealth(measurement, thresholds),
    judgeErrorRate(measurement, thresholds),
    judgeLatency(measurement, baseline, thresholds),
  ];
  for (const check of checks) {
    if (check.outcome === 'tripped') {
      return {
        status: 'unhealthy',
        trigger: check.trigger,
        measured: check.measured,
        threshold: check.threshold,
        unit: check.unit,
        summary: `${check.trigger} tripped: ${check.detail}`,
        checks,
      };
    }
  }
  const undecided = checks.filter((check) => check.outcome === 'no-verdict');
  const notes = undecided.map((check) => `${check.trigger}: ${check.detail}`).join('; ');
  if (undecided.length === checks.length) {
    return { status: 'inconclusive', summary: `no trigger could be judged (${notes})`, checks };
  }
  const summary =
    undecided.length === 0 ? 'every trigger passed' : `no trigger tripped; no verdict on ${notes}`;
  return { status: 'healthy', summary, checks };
}
