// PrometheusProbe against a real Prometheus (Debian's /usr/bin/prometheus) scraping real edm-web
// processes every second: one +errors build and one +degrading build, each picked by its instance label.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBakeActivities } from '../../activities/bake-activities.js';
import { judgeBake } from '../../analysis/judge-bake.js';
import { MetricsUnavailableError } from '../../analysis/measurement.js';
import { PrometheusProbe, type PrometheusProbeOptions } from '../../analysis/prometheus-probe.js';
import { DEFAULT_ANALYSIS_THRESHOLDS } from '../../analysis/thresholds.js';
import { createLogger } from '../../logging/logger.js';
import { freePorts } from '../demo/support.js';
import { type EdmWebProcess, startEdmWeb } from '../support/edm-web-process.js';

const PROMETHEUS = '/usr/bin/prometheus';
const SCRAPE_INTERVAL_MS = 1000;

/** `what` is read only on failure, so it can show output gathered meanwhile. */
async function until(
  what: () => string,
  deadlineMs: number,
  condition: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (await condition().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what()}`);
}

/** Requests each instance's service paths until stopped, as users would; a slow one does not hold up the other. */
function sendTraffic(urls: string[]): { stop(): Promise<void> } {
  let running = true;
  const loops = urls.map(async (url) => {
    while (running) {
      await Promise.all(
        ['/api/campaigns', '/version'].map((path) =>
          fetch(`${url}${path}`, { signal: AbortSignal.timeout(2000) })
            .then((response) => response.arrayBuffer())
            .catch(() => undefined),
        ),
      );
      await sleep(20);
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

describe('PrometheusProbe against a real Prometheus', () => {
  let directory: string;
  let erroring: EdmWebProcess;
  let degrading: EdmWebProcess;
  let prometheus: ResultPromise | undefined;
  let prometheusUrl: string;
  let traffic: { stop(): Promise<void> } | undefined;
  let prometheusOutput = '';

  const instance = (edm: EdmWebProcess) => `127.0.0.1:${edm.port}`;
  const probeOf = (options: Partial<PrometheusProbeOptions> = {}) =>
    new PrometheusProbe({
      url: prometheusUrl,
      selector: { job: 'edm-web' },
      intervalMs: 1000,
      scrapeIntervalMs: SCRAPE_INTERVAL_MS,
      timeoutMs: 2000,
      ...options,
    });

  async function query(promql: string): Promise<number> {
    const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const answer = (await response.json()) as { data: { result: { value: [number, string] }[] } };
    return Number(answer.data.result[0]?.value[1] ?? 0);
  }

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'runway-prometheus-'));
    [erroring, degrading] = await Promise.all([
      startEdmWeb('3.0.0+errors', { EDM_FAULT_AFTER_MS: '0', EDM_ERROR_SHARE: '0.3' }, 'green'),
      startEdmWeb('3.0.0+degrading', { EDM_FAULT_AFTER_MS: '0', EDM_DEGRADED_DELAY_MS: '300' }, 'green'),
    ]);
    const [port] = (await freePorts(1)) as [number];
    prometheusUrl = `http://127.0.0.1:${port}`;
    const config = join(directory, 'prometheus.yml');
    await writeFile(
      config,
      [
        'global:',
        `  scrape_interval: ${SCRAPE_INTERVAL_MS / 1000}s`,
        `  scrape_timeout: ${SCRAPE_INTERVAL_MS / 1000}s`,
        'scrape_configs:',
        '  - job_name: edm-web',
        '    static_configs:',
        `      - targets: ['${instance(erroring)}', '${instance(degrading)}']`,
        '',
      ].join('\n'),
    );
    prometheus = execa(
      PROMETHEUS,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(directory, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { reject: false, all: true, buffer: false },
    );
    prometheus.all?.on('data', (chunk: Buffer) => {
      prometheusOutput += chunk.toString();
    });
    await until(
      () => `Prometheus ready on ${prometheusUrl}: ${prometheusOutput}`,
      10_000,
      async () => {
        const response = await fetch(`${prometheusUrl}/-/ready`, { signal: AbortSignal.timeout(1000) });
        return response.ok;
      },
    );
    traffic = sendTraffic([erroring.url, degrading.url]);
    // Rates need two scrapes that both saw traffic; three of each target leave a margin.
    await until(
      () => `three scrapes of both edm-web instances: ${prometheusOutput}`,
      15_000,
      async () => {
        return (await query('min(count_over_time(up{job="edm-web"}[30s]))')) >= 3;
      },
    );
  }, 40_000);

  afterAll(async () => {
    await traffic?.stop();
    if (prometheus !== undefined && prometheus.exitCode === null) prometheus.kill('SIGTERM');
    await prometheus;
    await Promise.all([erroring?.stop(), degrading?.stop()]);
    if (directory !== undefined) await rm(directory, { recursive: true, force: true });
  }, 20_000);

  it('measures the +errors instance: an error rate near 30 %, a p95, and a passing health', async () => {
    const probe = probeOf({ selector: { job: 'edm-web', instance: instance(erroring) } });
    const progress: number[] = [];
    const measured = await probe.measure(2000, {
      onProgress: (recent) => {
        progress.push(recent.windowMs);
        return undefined;
      },
    });
    // Asked once a second; never over less than two scrapes.
    expect(progress).toEqual([2000, 2000]);

    expect(measured.source).toBe(
      `prometheus ${prometheusUrl} {job="edm-web",instance="${instance(erroring)}"}`,
    );
    const requests = measured.traffic?.requests ?? 0;
    const errorRate = (measured.traffic?.errors ?? 0) / requests;
    expect(requests).toBeGreaterThan(20);
    expect(errorRate).toBeGreaterThan(0.2);
    expect(errorRate).toBeLessThan(0.4);
    // Local answers take a few ms: the p95 lies in the first buckets.
    expect(measured.traffic?.p95Ms).toBeGreaterThan(0);
    expect(measured.traffic?.p95Ms).toBeLessThan(100);
    expect(measured.health?.failed).toBe(0);
    expect(measured.health?.ok).toBeGreaterThanOrEqual(1);

    const verdict = judgeBake(measured, { p95Ms: 5, requests: 100 }, DEFAULT_ANALYSIS_THRESHOLDS);
    expect(verdict).toMatchObject({ status: 'unhealthy', trigger: 'error-rate', threshold: 5 });
  }, 15_000);

  it('trips a bake configured with the Prometheus provider: the activity fails BakeUnhealthy with figures', async () => {
    const activities = createBakeActivities({
      logger: createLogger('bake-test', { level: 'silent' }),
    } as never);
    const failure = await new MockActivityEnvironment()
      .run(activities.bakeService, {
        releaseId: 'r1',
        stepId: 'bake-production',
        probe: {
          type: 'prometheus' as const,
          url: prometheusUrl,
          selector: { job: 'edm-web', instance: instance(erroring) },
          scrapeIntervalMs: SCRAPE_INTERVAL_MS,
        },
        durationMs: 10_000,
        settings: { intervalMs: 1000, timeoutMs: 2000, judgeWindowSeconds: 2 },
        thresholds: DEFAULT_ANALYSIS_THRESHOLDS,
        baseline: { p95Ms: 5, requests: 100 },
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'BakeUnhealthy', nonRetryable: true });
    const [tripped] = (failure as ApplicationFailure).details as [Record<string, unknown>];
    expect(tripped).toMatchObject({ trigger: 'error-rate', threshold: 5, unit: 'percent' });
    expect(tripped.measured).toBeGreaterThan(5);
    // Judged as the window fills: well before the ten seconds of the bake.
    expect(tripped.atMs).toBeLessThan(8000);
  }, 15_000);

  it('measures the +degrading instance: a p95 above 300 ms and no errors', async () => {
    const probe = probeOf({ selector: { job: 'edm-web', instance: instance(degrading) } });
    const measured = await probe.measure(1000);
    expect(measured.traffic?.errors).toBe(0);
    // 300 ms answers fall in the (0.25 s, 0.5 s] bucket; the quantile interpolates inside it.
    expect(measured.traffic?.p95Ms).toBeGreaterThan(250);
    expect(measured.traffic?.p95Ms).toBeLessThanOrEqual(500);
    const verdict = judgeBake(measured, { p95Ms: 5, requests: 100 }, DEFAULT_ANALYSIS_THRESHOLDS);
    expect(verdict).toMatchObject({ status: 'unhealthy', trigger: 'latency-p95', threshold: 100 });
  }, 15_000);

  it('says so when Prometheus has no series for the selector', async () => {
    const probe = probeOf({ selector: { job: 'edm-web', instance: '127.0.0.1:1' } });
    const failure = await probe.measure(1000).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MetricsUnavailableError);
    expect(failure).toMatchObject({ reason: 'no-data' });
    expect((failure as Error).message).toBe(
      `Prometheus at ${prometheusUrl} has no series edm_http_requests_total{job="edm-web",instance="127.0.0.1:1"}: is it scraping the service, with these labels?`,
    );
  });

  it('says so when Prometheus cannot be reached', async () => {
    const [unused] = (await freePorts(1)) as [number];
    const probe = probeOf({ url: `http://127.0.0.1:${unused}` });
    const failure = await probe.measure(1000).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MetricsUnavailableError);
    expect(failure).toMatchObject({ reason: 'unreachable' });
    expect((failure as Error).message).toBe(
      `cannot reach Prometheus at http://127.0.0.1:${unused}: connect ECONNREFUSED 127.0.0.1:${unused}`,
    );
  });

  it("passes on Prometheus's own words when it refuses a query", async () => {
    const probe = probeOf({ requestsMetric: 'not a metric' });
    const failure = await probe.measure(1000).catch((error: unknown) => error);
    expect(failure).toMatchObject({ reason: 'bad-answer' });
    expect((failure as Error).message).toMatch(/refused count\(not a metric\{job="edm-web"\}\): bad_data: /);
  });
});
