// The /metrics listeners and what they serve, without a stack: where they bind (never the API's
// port; a taken address stops the start with a message saying what to change), how the API labels
// request durations (route templates, never raw paths), and what a scrape answers.
import { createServer, type Server } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { applyEnvironmentOverrides } from '../../config/environment-overrides.js';
import { loadConfig } from '../../config/load-config.js';
import { ApiMetrics } from '../../metrics/api-metrics.js';
import { metricsAddressFor, parseListenAddress } from '../../metrics/listen-address.js';
import { serveApiMetrics } from '../../metrics/metrics-endpoints.js';
import { type RunwayMetrics, serveRunwayMetrics } from '../../metrics/runway-metrics.js';
import { auth, createTestApp, TOKENS } from '../api/api-test-app.js';

const logger = pino({ level: 'silent' });
/** A database that does not answer: scrapes go on without the gauges it feeds. */
const failingPool = { query: () => Promise.reject(new Error('PostgreSQL is down')) };
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function occupiedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as { port: number }).port;
}

async function runwayMetricsOnFreePorts(): Promise<RunwayMetrics> {
  const settings = (await loadConfig()).settings;
  settings.metrics.listen = { api: '127.0.0.1:0', worker: '127.0.0.1:0' };
  const metrics = await serveRunwayMetrics(settings, { pool: failingPool, logger });
  cleanups.push(() => metrics.close());
  return metrics;
}

describe('where /metrics listens', () => {
  it('defaults to loopback ports beside the API, the worker on the next one', async () => {
    const { settings } = await loadConfig();
    expect(settings.metrics.listen).toEqual({ api: '127.0.0.1:9464', worker: '127.0.0.1:9465' });
    expect(metricsAddressFor(settings, 'worker')).toMatchObject({ host: '127.0.0.1', port: 9465 });
    expect(parseListenAddress('[::1]:9466')).toMatchObject({ host: '::1', port: 9466 });
  });

  it('takes each role from its own environment variable, and refuses what is not host:port', async () => {
    const config = await loadConfig();
    applyEnvironmentOverrides(config, { RUNWAY_WORKER_METRICS_LISTEN: '0.0.0.0:9466' });
    expect(config.settings.metrics.listen).toEqual({ api: '127.0.0.1:9464', worker: '0.0.0.0:9466' });
    expect(() => applyEnvironmentOverrides(config, { RUNWAY_API_METRICS_LISTEN: '9464' })).toThrow(
      /RUNWAY_API_METRICS_LISTEN is not a host:port address/,
    );
    expect(() => applyEnvironmentOverrides(config, { RUNWAY_API_METRICS_LISTEN: 'localhost:70000' })).toThrow(
      /host:port/,
    );
  });

  it("refuses the API's public port", async () => {
    const { settings } = await loadConfig();
    settings.metrics.listen.api = `127.0.0.1:${settings.api.port}`;
    expect(() => metricsAddressFor(settings, 'api')).toThrow(/is the API's public port 3001/);
  });

  it('stops the start with what to change when the address is taken', async () => {
    const port = await occupiedPort();
    const metrics = new ApiMetrics({ logger, defaultMetrics: false });
    await expect(
      serveApiMetrics({ listen: parseListenAddress(`127.0.0.1:${port}`), metrics, logger }),
    ).rejects.toThrow(
      new RegExp(
        `cannot serve the API's /metrics on 127\\.0\\.0\\.1:${port}: the address is already in use .*set metrics\\.listen\\.api in runway\\.yml or RUNWAY_API_METRICS_LISTEN`,
      ),
    );
    const settings = (await loadConfig()).settings;
    settings.metrics.listen = { api: '127.0.0.1:0', worker: `127.0.0.1:${port}` };
    await expect(serveRunwayMetrics(settings, { pool: failingPool, logger })).rejects.toThrow(
      /metrics\.listen\.worker .*RUNWAY_WORKER_METRICS_LISTEN/,
    );
    settings.metrics.listen = { api: '127.0.0.1:9999', worker: '127.0.0.1:9999' };
    await expect(serveRunwayMetrics(settings, { pool: failingPool, logger })).rejects.toThrow(
      /are both 127\.0\.0\.1:9999/,
    );
  });
});

describe('what a scrape answers', () => {
  it("serves each role's registry at /metrics only, and still answers when PostgreSQL does not", async () => {
    const metrics = await runwayMetricsOnFreePorts();
    metrics.api.releaseStarted({ service: 'edm-web', type: 'hotfix' });
    const api = await fetch(metrics.urls.api);
    expect(api.status).toBe(200);
    expect(api.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const apiText = await api.text();
    expect(apiText).toContain('runway_releases_started_total{service="edm-web",type="hotfix"} 1');
    // The open-release gauges are left out, and the failure counted, when the count fails.
    expect(apiText).toContain('runway_open_releases_query_failures_total 1');
    expect(apiText).not.toMatch(/^runway_releases_past_sla\{/m);
    expect(apiText).toContain('process_cpu_seconds_total');

    // No Temporal SDK exporter in this process: the worker says so in its own gauge.
    const workerText = await (await fetch(metrics.urls.worker)).text();
    expect(workerText).toContain('runway_temporal_sdk_metrics_up 0');
    expect(workerText).toContain('# TYPE runway_gate_wait_seconds histogram');
    expect(workerText).not.toContain('runway_releases_started_total');

    expect((await fetch(metrics.urls.api.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(metrics.urls.api, { method: 'POST' })).status).toBe(405);
  });
});

describe('HTTP request durations', () => {
  it('are labelled by the route template matched, never by the raw path', async () => {
    const metrics = new ApiMetrics({ logger, defaultMetrics: false });
    const { app } = await createTestApp({ httpMetrics: metrics });
    const id = 'edm-web-regular-9.9.9-5f3c2a';
    await app.request('/healthz');
    await app.request(`/api/v1/releases/${id}`);
    await app.request(`/api/v1/releases/${id}/approvals`, { method: 'POST', headers: auth(TOKENS.devChen) });
    await app.request(`/api/v1/no-such-thing/${id}`, { headers: auth(TOKENS.devChen) });
    await app.request('/api/v1/releases', { method: 'PROPFIND' });
    const text = await metrics.registry.getSingleMetricAsString('runway_http_request_duration_seconds');
    expect(text).not.toContain(id);
    const series = [...text.matchAll(/_count\{method="(\w+)",route="([^"]+)",status="(\d{3})"\}/g)].map(
      ([, method, route]) => `${method} ${route}`,
    );
    // Refused by authentication or validation, a request still counts under the route it matched.
    expect(series.sort()).toEqual(
      [
        'GET /healthz',
        'GET /api/v1/releases/{id}',
        'POST /api/v1/releases/{id}/approvals',
        'GET unmatched',
        'OTHER unmatched',
      ].sort(),
    );
  });
});
