// What the release view shows of a bake's heartbeat: a real judgement passes whole; anything else a
// heartbeat could carry (it comes back from Temporal) is dropped, cut short or refused.
import { describe, expect, it } from 'vitest';
import type { BakeHeartbeat } from '../../activities/bake-activities.js';
import { judgeBake } from '../../analysis/judge-bake.js';
import { DEFAULT_ANALYSIS_THRESHOLDS } from '../../analysis/thresholds.js';
import { liveBakeOf } from '../../api/services/bake-progress.js';

const AT = '2026-12-06T10:00:42.000Z';

/** A heartbeat as bakeService sends it, 42 s in, healthy against a 39 ms baseline. */
function heartbeat(): BakeHeartbeat {
  const measurement = {
    source: 'http http://127.0.0.1:4111',
    windowMs: 30_000,
    health: { ok: 40, failed: 0, consecutiveFailures: 0 },
    traffic: { requests: 312, errors: 0, p95Ms: 41.2 },
  };
  const verdict = judgeBake(measurement, { p95Ms: 39, requests: 80 }, DEFAULT_ANALYSIS_THRESHOLDS);
  return {
    stepId: 'bake-production',
    elapsedMs: 42_000,
    verdict: verdict.status,
    summary: verdict.summary,
    checks: verdict.checks,
    windowMs: measurement.windowMs,
    traffic: { requests: 312, errors: 0, p95Ms: 41.2 },
  };
}

describe('a bake heartbeat in the release view', () => {
  it("shows a real judgement whole, with every trigger's figures", () => {
    const live = liveBakeOf(heartbeat(), 'bake-production', AT);
    expect(live).toMatchObject({
      step: 'bake-production',
      kind: 'bake',
      elapsedMs: 42_000,
      verdict: 'healthy',
      summary: 'every trigger passed',
      windowMs: 30_000,
      traffic: { requests: 312, errors: 0, p95Ms: 41.2 },
      updatedAt: AT,
    });
    expect(live?.checks.map((check) => [check.trigger, check.outcome])).toEqual([
      ['health', 'passed'],
      ['error-rate', 'passed'],
      ['latency-p95', 'passed'],
    ]);
    expect(live?.checks[2]).toMatchObject({ measured: 41.2, unit: 'ms' });
  });

  it('shows a bake not judged yet as such: its elapsed time only', () => {
    expect(liveBakeOf({ stepId: 'bake-production', elapsedMs: 300 }, 'bake-production', AT)).toEqual({
      step: 'bake-production',
      kind: 'bake',
      elapsedMs: 300,
      verdict: null,
      summary: null,
      checks: [],
      windowMs: null,
      traffic: null,
      updatedAt: AT,
    });
  });

  it('drops fields it does not know, strips terminal escapes and cuts long text', () => {
    const hostile = {
      ...heartbeat(),
      summary: `\x1b[2J\x1b]0;owned\x07every trigger passed${'x'.repeat(5000)}`,
      token: 'secret',
      checks: heartbeat().checks?.map((check) => ({ ...check, extra: { nested: true } })),
    };
    const live = liveBakeOf(hostile, 'bake-production', AT);
    expect(JSON.stringify(live)).not.toMatch(/secret|nested|\\u001b|\\u0007/);
    expect([...(live?.summary ?? '')].length).toBe(1000);
    expect(live?.summary).toMatch(/^ \[2J ]0;owned every trigger passedx+…$/);
  });

  it("refuses what is not a bake's heartbeat, or is another step's", () => {
    const refused = [
      undefined,
      'every trigger passed',
      { elapsedMs: 1000 },
      { ...heartbeat(), stepId: 'bake-staging' },
      { ...heartbeat(), verdict: 'great' },
      { ...heartbeat(), elapsedMs: -1 },
      { ...heartbeat(), elapsedMs: 1e300 },
      { ...heartbeat(), traffic: { requests: 'many', errors: 0, p95Ms: null } },
      { ...heartbeat(), checks: [...(heartbeat().checks ?? []), ...(heartbeat().checks ?? [])] },
      {
        ...heartbeat(),
        checks: [{ trigger: 'cpu', outcome: 'passed', measured: 1, threshold: 2, unit: 'ms' }],
      },
    ];
    for (const details of refused) {
      expect(liveBakeOf(details, 'bake-production', AT), JSON.stringify(details)).toBeUndefined();
    }
  });
});
