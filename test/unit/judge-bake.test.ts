import { describe, expect, it } from 'vitest';
import { baselineOf, judgeBake, type TriggerCheck } from '../../analysis/judge-bake.js';
import { type BakeMeasurement, observeHealth, percentile } from '../../analysis/measurement.js';
import {
  type AnalysisThresholds,
  analysisThresholdsSchema,
  bakeProbeSettingsSchema,
  DEFAULT_ANALYSIS_THRESHOLDS,
  DEFAULT_BAKE_PROBE_SETTINGS,
} from '../../analysis/thresholds.js';

const defaults = DEFAULT_ANALYSIS_THRESHOLDS;
const baseline = { p95Ms: 80, requests: 40 };

function measurement(
  traffic: Partial<NonNullable<BakeMeasurement['traffic']>> | null = {},
  health: boolean[] | null = Array(10).fill(true),
): BakeMeasurement {
  return {
    source: 'test',
    windowMs: 10_000,
    health: health === null ? null : observeHealth(health),
    traffic: traffic === null ? null : { requests: 40, errors: 0, p95Ms: 90, ...traffic },
  };
}

function check(checks: TriggerCheck[], trigger: TriggerCheck['trigger']): TriggerCheck {
  const found = checks.find((c) => c.trigger === trigger);
  if (found === undefined) throw new Error(`no ${trigger} check`);
  return found;
}

describe('analysis thresholds', () => {
  it('default to the SPEC: 5 % errors, 200 % of the baseline p95, 3 health failures in a row', () => {
    expect(analysisThresholdsSchema.parse({})).toEqual({
      healthConsecutiveFailures: 3,
      errorRatePercent: 5,
      p95PercentOfBaseline: 200,
      minRequests: 10,
      baselineFloorMs: 50,
    });
  });

  it('come with probe settings whose judgement window holds enough requests for a verdict', () => {
    const { intervalMs, judgeWindowSeconds } = DEFAULT_BAKE_PROBE_SETTINGS;
    expect(DEFAULT_BAKE_PROBE_SETTINGS).toEqual({ intervalMs: 500, timeoutMs: 2000, judgeWindowSeconds: 10 });
    // One service path is the least a probe has: its window must still reach the minimum.
    expect((judgeWindowSeconds * 1000) / intervalMs).toBeGreaterThanOrEqual(defaults.minRequests);
    expect(bakeProbeSettingsSchema.safeParse({ intervalMs: 10 }).success).toBe(false);
  });

  it('take per-service overrides and refuse what makes no sense', () => {
    expect(analysisThresholdsSchema.parse({ errorRatePercent: 1 }).errorRatePercent).toBe(1);
    expect(analysisThresholdsSchema.safeParse({ errorRatePercent: 150 }).success).toBe(false);
    expect(analysisThresholdsSchema.safeParse({ p95PercentOfBaseline: 50 }).success).toBe(false);
    expect(analysisThresholdsSchema.safeParse({ healthConsecutiveFailures: 0 }).success).toBe(false);
    expect(analysisThresholdsSchema.safeParse({ errorRate: 5 }).success).toBe(false);
  });
});

describe('judgeBake', () => {
  it('is healthy when every trigger passes, and shows each measured value', () => {
    const verdict = judgeBake(measurement({ errors: 1 }), baseline, defaults);
    expect(verdict.status).toBe('healthy');
    expect(verdict.summary).toBe('every trigger passed');
    expect(verdict.checks.map((c) => c.outcome)).toEqual(['passed', 'passed', 'passed']);
    expect(check(verdict.checks, 'error-rate')).toMatchObject({
      measured: 2.5,
      threshold: 5,
      unit: 'percent',
    });
    expect(check(verdict.checks, 'latency-p95')).toMatchObject({ measured: 90, threshold: 160, unit: 'ms' });
  });

  describe('health', () => {
    it('trips at the configured number of consecutive failures, not one before', () => {
      const two = judgeBake(measurement({}, [true, false, false, true, false]), baseline, defaults);
      expect(two.status).toBe('healthy');
      expect(check(two.checks, 'health')).toMatchObject({ outcome: 'passed', measured: 2, threshold: 3 });

      const three = judgeBake(measurement({}, [true, false, false, false, true]), baseline, defaults);
      expect(three).toMatchObject({
        status: 'unhealthy',
        trigger: 'health',
        measured: 3,
        threshold: 3,
        unit: 'failures',
      });
      expect(three.summary).toContain('3 consecutive health check failures (3 of 5 failed)');
    });

    it('counts only failures in a row: scattered ones do not trip', () => {
      const scattered = [false, true, false, true, false, true, false, true];
      expect(judgeBake(measurement({}, scattered), baseline, defaults).status).toBe('healthy');
      const strict = analysisThresholdsSchema.parse({ healthConsecutiveFailures: 1 });
      expect(judgeBake(measurement({}, scattered), baseline, strict).status).toBe('unhealthy');
    });
  });

  describe('error rate', () => {
    it('passes at exactly 5 % and trips just above it', () => {
      const atLimit = judgeBake(measurement({ requests: 100, errors: 5 }), baseline, defaults);
      expect(check(atLimit.checks, 'error-rate')).toMatchObject({ outcome: 'passed', measured: 5 });

      const above = judgeBake(measurement({ requests: 1000, errors: 51 }), baseline, defaults);
      expect(above).toMatchObject({
        status: 'unhealthy',
        trigger: 'error-rate',
        measured: 5.1,
        threshold: 5,
        unit: 'percent',
      });
      expect(above.summary).toBe('error-rate tripped: error rate 5.1% (51 of 1000 requests); trips above 5%');
    });

    it('uses a configured threshold', () => {
      const strict: AnalysisThresholds = { ...defaults, errorRatePercent: 1 };
      const verdict = judgeBake(measurement({ requests: 100, errors: 2 }), baseline, strict);
      expect(verdict).toMatchObject({
        status: 'unhealthy',
        trigger: 'error-rate',
        measured: 2,
        threshold: 1,
      });
    });
  });

  describe('p95 latency against the baseline', () => {
    it('passes at exactly 200 % of the baseline and trips above it', () => {
      const atLimit = judgeBake(measurement({ p95Ms: 160 }), baseline, defaults);
      expect(check(atLimit.checks, 'latency-p95')).toMatchObject({
        outcome: 'passed',
        measured: 160,
        threshold: 160,
      });

      const above = judgeBake(measurement({ p95Ms: 160.2 }), baseline, defaults);
      expect(above).toMatchObject({
        status: 'unhealthy',
        trigger: 'latency-p95',
        measured: 160.2,
        threshold: 160,
        unit: 'ms',
      });
      expect(above.summary).toContain('p95 160.2 ms against a baseline of 80 ms');
    });

    it('follows the configured ratio', () => {
      const loose: AnalysisThresholds = { ...defaults, p95PercentOfBaseline: 300 };
      const verdict = judgeBake(measurement({ p95Ms: 200 }), baseline, loose);
      expect(check(verdict.checks, 'latency-p95')).toMatchObject({ outcome: 'passed', threshold: 240 });
    });

    it('raises a tiny baseline to the floor, so scheduler noise on a fast service does not roll back', () => {
      const fast = { p95Ms: 2, requests: 40 };
      const noisy = judgeBake(measurement({ p95Ms: 12 }), fast, defaults);
      expect(noisy.status).toBe('healthy');
      expect(check(noisy.checks, 'latency-p95')).toMatchObject({ threshold: 100 });
      expect(check(noisy.checks, 'latency-p95').detail).toContain('(floor 50 ms)');

      const degraded = judgeBake(measurement({ p95Ms: 305 }), fast, defaults);
      expect(degraded).toMatchObject({ status: 'unhealthy', trigger: 'latency-p95', threshold: 100 });
    });

    it('gives no verdict on a zero baseline without a floor, nor without a baseline', () => {
      const noFloor: AnalysisThresholds = { ...defaults, baselineFloorMs: 0 };
      const zero = judgeBake(measurement({ p95Ms: 5 }), { p95Ms: 0, requests: 40 }, noFloor);
      expect(check(zero.checks, 'latency-p95')).toEqual({
        trigger: 'latency-p95',
        outcome: 'no-verdict',
        detail: 'the baseline p95 is 0 ms and no baselineFloorMs is set',
      });
      expect(zero.status).toBe('healthy');

      const absent = judgeBake(measurement({ p95Ms: 5000 }), null, defaults);
      expect(check(absent.checks, 'latency-p95')).toMatchObject({
        outcome: 'no-verdict',
        detail: 'no baseline p95 was measured on the previous version',
      });
      expect(absent.status).toBe('healthy');
      expect(absent.summary).toContain('no verdict on latency-p95: no baseline p95');

      const unmeasured = judgeBake(measurement({ p95Ms: 5000 }), { p95Ms: null, requests: 0 }, defaults);
      expect(check(unmeasured.checks, 'latency-p95').outcome).toBe('no-verdict');
    });

    it('gives no verdict on a baseline of too few requests', () => {
      const verdict = judgeBake(measurement({ p95Ms: 5000 }), { p95Ms: 10, requests: 9 }, defaults);
      expect(check(verdict.checks, 'latency-p95')).toMatchObject({
        outcome: 'no-verdict',
        detail: 'the baseline has 9 requests, fewer than the 10 needed',
      });
    });

    it('takes the baseline from a measurement of the old version', () => {
      expect(baselineOf(measurement({ p95Ms: 42, requests: 30 }))).toEqual({ p95Ms: 42, requests: 30 });
      expect(baselineOf(measurement(null))).toBeNull();
    });
  });

  describe('little or no data', () => {
    it('gives no verdict on error rate or latency below the minimum of requests, and says so', () => {
      const verdict = judgeBake(measurement({ requests: 9, errors: 9, p95Ms: 9000 }), baseline, defaults);
      expect(verdict.status).toBe('healthy');
      expect(check(verdict.checks, 'error-rate')).toEqual({
        trigger: 'error-rate',
        outcome: 'no-verdict',
        detail: '9 requests, fewer than the 10 needed for a verdict',
      });
      expect(check(verdict.checks, 'latency-p95').outcome).toBe('no-verdict');
      expect(verdict.summary).toBe(
        'no trigger tripped; no verdict on error-rate: 9 requests, fewer than the 10 needed for a verdict; ' +
          'latency-p95: 9 requests, fewer than the 10 needed for a verdict',
      );
    });

    it('judges from the minimum on', () => {
      const verdict = judgeBake(measurement({ requests: 10, errors: 1 }), baseline, defaults);
      expect(verdict).toMatchObject({ status: 'unhealthy', trigger: 'error-rate', measured: 10 });
    });

    it('is inconclusive when no trigger can be judged at all', () => {
      const nothing = judgeBake(measurement({ requests: 0, errors: 0, p95Ms: null }, []), baseline, defaults);
      expect(nothing.status).toBe('inconclusive');
      expect(nothing.summary).toContain('no trigger could be judged (health: no health check ran;');

      const notMeasured = judgeBake(measurement(null, null), null, defaults);
      expect(notMeasured.status).toBe('inconclusive');
      expect(notMeasured.checks.map((c) => c.outcome)).toEqual(['no-verdict', 'no-verdict', 'no-verdict']);
    });

    it('judges health alone when only health is measured', () => {
      const verdict = judgeBake(measurement(null, [false, false, false]), baseline, defaults);
      expect(verdict).toMatchObject({ status: 'unhealthy', trigger: 'health' });
    });

    it('gives no latency verdict when requests got no answer at all, while the error rate trips', () => {
      const refused = judgeBake(measurement({ requests: 20, errors: 20, p95Ms: null }), baseline, defaults);
      expect(refused).toMatchObject({ status: 'unhealthy', trigger: 'error-rate', measured: 100 });
      expect(check(refused.checks, 'latency-p95')).toMatchObject({
        outcome: 'no-verdict',
        detail: 'no request latency was measured',
      });
    });
  });

  it('reports a probe that times out as errors at the timeout latency', () => {
    // What HttpProbe records when every request hits its 2 s timeout.
    const timedOut = measurement({ requests: 12, errors: 12, p95Ms: 2000 }, Array(12).fill(false));
    const verdict = judgeBake(timedOut, baseline, defaults);
    // Health comes first, and every trigger would trip.
    expect(verdict).toMatchObject({ status: 'unhealthy', trigger: 'health', measured: 12 });
    expect(verdict.checks.map((c) => c.outcome)).toEqual(['tripped', 'tripped', 'tripped']);
    expect(check(verdict.checks, 'latency-p95')).toMatchObject({ measured: 2000, threshold: 160 });
  });

  it('reports the first trigger that trips, in the order health, error rate, latency', () => {
    const errorsAndSlow = judgeBake(measurement({ errors: 10, p95Ms: 900 }), baseline, defaults);
    expect(errorsAndSlow).toMatchObject({ status: 'unhealthy', trigger: 'error-rate' });
    const slowOnly = judgeBake(measurement({ p95Ms: 900 }), baseline, defaults);
    expect(slowOnly).toMatchObject({ status: 'unhealthy', trigger: 'latency-p95', measured: 900 });
  });
});

describe('measurement helpers', () => {
  it('takes the nearest-rank percentile', () => {
    const samples = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(samples, 0.95)).toBe(19);
    expect(percentile([5, 1, 3], 0.95)).toBe(5);
    expect(percentile([7], 0.95)).toBe(7);
    expect(percentile([], 0.95)).toBeNull();
  });

  it('counts the longest run of health failures', () => {
    expect(observeHealth([true, false, false, true, false, false, false, true])).toEqual({
      ok: 3,
      failed: 5,
      consecutiveFailures: 3,
    });
    expect(observeHealth([])).toEqual({ ok: 0, failed: 0, consecutiveFailures: 0 });
  });
});
