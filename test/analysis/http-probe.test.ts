import { describe, expect, it } from 'vitest';
import { HttpProbe, type HttpProbeOptions } from '../../analysis/http-probe.js';
import { baselineOf, judgeBake } from '../../analysis/judge-bake.js';
import { DEFAULT_ANALYSIS_THRESHOLDS } from '../../analysis/thresholds.js';
import { type EdmWebProcess, useEdmWebProcesses } from '../support/edm-web-process.js';

/** The paths config/services/edm-web.yml verifies, health apart. */
const SERVICE_PATHS = [{ path: '/version' }, { path: '/api/campaigns', expectStatus: 200 }];

function probeOf(edm: EdmWebProcess, options: Partial<HttpProbeOptions> = {}): HttpProbe {
  return new HttpProbe({
    baseUrl: edm.url,
    healthPath: '/health',
    paths: SERVICE_PATHS,
    intervalMs: 50,
    timeoutMs: 1000,
    ...options,
  });
}

describe('HttpProbe against a real edm-web', () => {
  const start = useEdmWebProcesses();

  it('measures the error rate of a +errors build near its configured share, with health passing', async () => {
    const edm = await start('2.0.0+errors', { EDM_FAULT_AFTER_MS: '0', EDM_ERROR_SHARE: '0.3' });
    const measured = await probeOf(edm).measure(1500);

    const traffic = measured.traffic;
    expect(traffic?.requests).toBeGreaterThanOrEqual(20);
    const rate = (traffic?.errors ?? 0) / (traffic?.requests ?? 1);
    expect(rate).toBeGreaterThan(0.25);
    expect(rate).toBeLessThan(0.35);
    expect(measured.health).toMatchObject({ failed: 0, consecutiveFailures: 0 });
    expect(measured.source).toBe(`http ${edm.url}`);

    const verdict = judgeBake(measured, null, DEFAULT_ANALYSIS_THRESHOLDS);
    expect(verdict).toMatchObject({ status: 'unhealthy', trigger: 'error-rate', threshold: 5 });
    expect(verdict.status === 'unhealthy' && verdict.measured).toBeGreaterThan(25);
  });

  it('measures a +degrading build against the baseline of the previous version, stopping at the first trip', async () => {
    const previous = await start('2.0.0');
    const baseline = baselineOf(await probeOf(previous).measure(1000));
    expect(baseline?.requests).toBeGreaterThanOrEqual(10);
    expect(baseline?.p95Ms).toBeLessThan(100);

    const degrading = await start('2.1.0+degrading', {
      EDM_FAULT_AFTER_MS: '0',
      EDM_DEGRADED_DELAY_MS: '300',
    });
    const startedAt = performance.now();
    let rounds = 0;
    const measured = await probeOf(degrading).measure(20_000, {
      onProgress: (soFar) => {
        rounds += 1;
        return judgeBake(soFar, baseline, DEFAULT_ANALYSIS_THRESHOLDS).status === 'unhealthy'
          ? 'stop'
          : undefined;
      },
    });
    // Ten requests are needed for a verdict: five rounds of two service paths, each round ~300 ms.
    expect(rounds).toBe(5);
    expect(performance.now() - startedAt).toBeLessThan(5000);
    expect(measured.traffic?.p95Ms).toBeGreaterThanOrEqual(300);
    expect(measured.traffic?.errors).toBe(0);
    const verdict = judgeBake(measured, baseline, DEFAULT_ANALYSIS_THRESHOLDS);
    // The previous version answers in a few ms, so the threshold is 200 % of the 50 ms floor.
    expect(verdict).toMatchObject({
      status: 'unhealthy',
      trigger: 'latency-p95',
      threshold: 100,
      unit: 'ms',
    });
  });

  it('judges the last stretch of a long bake, so a build that turns bad late is caught within seconds', async () => {
    const edm = await start('2.0.0+errors', { EDM_FAULT_AFTER_MS: '2000', EDM_ERROR_SHARE: '0.3' });
    let goodRounds = 0;
    let firstBadAt: number | null = null;
    const measured = await probeOf(edm, { intervalMs: 100 }).measure(20_000, {
      progressWindowMs: 1000,
      onProgress: (recent) => {
        if ((recent.traffic?.errors ?? 0) === 0) goodRounds += 1;
        else firstBadAt ??= performance.now();
        return judgeBake(recent, null, DEFAULT_ANALYSIS_THRESHOLDS).status === 'unhealthy'
          ? 'stop'
          : undefined;
      },
    });
    expect(goodRounds).toBeGreaterThanOrEqual(5);
    expect(firstBadAt).not.toBeNull();
    // 20 requests in the last second: one error is 5 %, which passes; the next, three requests later, trips.
    expect(performance.now() - (firstBadAt ?? 0)).toBeLessThan(1000);
    expect(measured.windowMs).toBeLessThanOrEqual(1100);
    expect(measured.traffic?.requests).toBeLessThanOrEqual(24);
    expect(judgeBake(measured, null, DEFAULT_ANALYSIS_THRESHOLDS)).toMatchObject({ trigger: 'error-rate' });
  });

  it('counts a request that outlasts its timeout as an error with the timeout as its latency', async () => {
    const edm = await start('2.1.0+degrading', { EDM_FAULT_AFTER_MS: '0', EDM_DEGRADED_DELAY_MS: '400' });
    const measured = await probeOf(edm, { timeoutMs: 100, intervalMs: 150 }).measure(1000);
    const traffic = measured.traffic;
    expect(traffic?.requests).toBeGreaterThanOrEqual(8);
    expect(traffic?.errors).toBe(traffic?.requests);
    expect(new Set(traffic?.latencySamplesMs)).toEqual(new Set([100]));
    expect(traffic?.p95Ms).toBe(100);
    // /health is not slowed down, so it passes on the same instance.
    expect(measured.health?.failed).toBe(0);
  });

  it('fails health and every request when nothing answers', async () => {
    const edm = await start('2.0.0');
    await edm.stop();
    const measured = await probeOf(edm).measure(300);
    expect(measured.health?.ok).toBe(0);
    expect(measured.health?.consecutiveFailures).toBeGreaterThanOrEqual(3);
    expect(measured.traffic?.errors).toBe(measured.traffic?.requests);
    expect(measured.traffic?.p95Ms).toBeNull();
    expect(judgeBake(measured, null, DEFAULT_ANALYSIS_THRESHOLDS)).toMatchObject({
      status: 'unhealthy',
      trigger: 'health',
    });
  });

  it('stops when its signal is aborted', async () => {
    const edm = await start('2.0.0');
    const controller = new AbortController();
    // While waiting between rounds (a round takes a few ms here)...
    setTimeout(() => controller.abort(new Error('bake cancelled')), 200);
    await expect(
      probeOf(edm, { intervalMs: 5000 }).measure(10_000, { signal: controller.signal }),
    ).rejects.toThrow('bake cancelled');

    // ...and in the middle of a round's requests.
    const slow = await start('2.1.0+degrading', { EDM_FAULT_AFTER_MS: '0', EDM_DEGRADED_DELAY_MS: '400' });
    const inFlight = new AbortController();
    setTimeout(() => inFlight.abort(new Error('bake cancelled in flight')), 150);
    await expect(probeOf(slow).measure(10_000, { signal: inFlight.signal })).rejects.toThrow(
      'bake cancelled in flight',
    );
  });
});
