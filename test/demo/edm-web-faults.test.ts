import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { DURATION_BUCKETS_SECONDS } from '../../demo/edm-web/metrics.js';
import { useEdmWebProcesses } from '../support/edm-web-process.js';
import { REPO_ROOT } from './support.js';

interface Answer {
  status: number;
  latencyMs: number;
  text: string;
  contentType: string | null;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  return {
    status: response.status,
    latencyMs: performance.now() - started,
    text,
    contentType: response.headers.get('content-type'),
  };
}

async function statuses(url: string, count: number): Promise<number[]> {
  const found: number[] = [];
  for (let i = 0; i < count; i++) found.push((await get(url)).status);
  return found;
}

/** A request as the demo's traffic proxy forwards it: it starts the `traffic` fault clock. */
const THROUGH_PROXY = { 'x-forwarded-for': '127.0.0.1' };

/** `edm_http_requests_total{path="/x",status="200"} 3` → the value of each series, by its text. */
function samples(exposition: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of exposition.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    found.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return found;
}

describe('edm-web late faults and metrics (real processes)', () => {
  const start = useEdmWebProcesses();

  it('+errors: healthy until it takes traffic, then 3 in every 10 service requests answer 500; /health stays 200', async () => {
    const edm = await start('1.3.0+errors', { EDM_FAULT_CLOCK: 'traffic', EDM_FAULT_AFTER_MS: '800' });
    // Checked directly, as blue-green checks the idle colour before the switch: no fault, however long.
    expect(await statuses(`${edm.url}/api/campaigns`, 10)).toEqual(Array(10).fill(200));

    expect((await get(`${edm.url}/version`, THROUGH_PROXY)).status).toBe(200);
    await sleep(900);
    const campaigns = await statuses(`${edm.url}/api/campaigns`, 20);
    expect(campaigns.filter((status) => status === 500)).toHaveLength(6);
    expect(campaigns.filter((status) => status === 200)).toHaveLength(14);
    // Any ten in a row hold exactly three errors: the share is exact, not sampled.
    for (let from = 0; from + 10 <= campaigns.length; from++) {
      expect(campaigns.slice(from, from + 10).filter((status) => status === 500)).toHaveLength(3);
    }
    expect(await statuses(`${edm.url}/health`, 10)).toEqual(Array(10).fill(200));
    expect((await get(`${edm.url}/metrics`)).status).toBe(200);
  });

  it('+errors honours EDM_ERROR_SHARE, counted from start with EDM_FAULT_CLOCK=start', async () => {
    const edm = await start('1.3.0+errors', { EDM_FAULT_AFTER_MS: '0', EDM_ERROR_SHARE: '0.5' });
    const answers = await statuses(`${edm.url}/version`, 20);
    expect(answers.filter((status) => status === 500)).toHaveLength(10);
  });

  it('+degrading: adds EDM_DEGRADED_DELAY_MS to service paths once its fault begins, not to /health', async () => {
    const edm = await start('1.4.0+degrading', {
      EDM_FAULT_CLOCK: 'traffic',
      EDM_FAULT_AFTER_MS: '500',
      EDM_DEGRADED_DELAY_MS: '300',
    });
    const before = await get(`${edm.url}/api/campaigns`);
    expect(before.status).toBe(200);
    expect(before.latencyMs).toBeLessThan(250);

    await get(`${edm.url}/health`, THROUGH_PROXY);
    await sleep(600);
    const after = await get(`${edm.url}/api/campaigns`);
    expect(after.status).toBe(200);
    expect(after.latencyMs).toBeGreaterThanOrEqual(300);
    const health = await get(`${edm.url}/health`);
    expect(health.status).toBe(200);
    expect(health.latencyMs).toBeLessThan(250);
  });

  it('+unhealthy-later: /health turns 503 after the delay while the API still answers', async () => {
    const edm = await start('1.5.0+unhealthy-later', { EDM_FAULT_AFTER_MS: '300' });
    const deadline = Date.now() + 5000;
    let health = await get(`${edm.url}/health`);
    while (health.status === 200 && Date.now() < deadline) {
      await sleep(100);
      health = await get(`${edm.url}/health`);
    }
    expect(health.status).toBe(503);
    expect(JSON.parse(health.text)).toMatchObject({ status: 'failing', version: '1.5.0+unhealthy-later' });
    expect((await get(`${edm.url}/api/campaigns`)).status).toBe(200);
  });

  it('exposes request counts, a duration histogram and its build at /metrics', async () => {
    const edm = await start('1.0.0+slow');
    await get(`${edm.url}/api/campaigns`);
    await get(`${edm.url}/api/campaigns`);
    await get(`${edm.url}/no/such/path`);
    const answer = await get(`${edm.url}/metrics`);
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(answer.text).toContain('# TYPE edm_http_requests_total counter');
    expect(answer.text).toContain('# TYPE edm_http_request_duration_seconds histogram');
    expect(answer.text).toContain('# TYPE edm_build_info gauge');

    const values = samples(answer.text);
    expect(values.get('edm_build_info{version="1.0.0+slow",colour="blue"}')).toBe(1);
    expect(values.get('edm_http_requests_total{path="/api/campaigns",status="200"}')).toBe(2);
    // Unknown paths share one label value, so a scanner cannot blow up the series count.
    expect(values.get('edm_http_requests_total{path="other",status="404"}')).toBe(1);

    const path = 'path="/api/campaigns"';
    const buckets = DURATION_BUCKETS_SECONDS.map(
      (bound) => values.get(`edm_http_request_duration_seconds_bucket{${path},le="${bound}"}`) ?? -1,
    );
    // The slow build answers after 600 ms: nothing at or below 0.5 s, both at 1 s and above.
    expect(buckets).toEqual([0, 0, 0, 0, 0, 0, 0, 2, 2, 2]);
    expect(values.get(`edm_http_request_duration_seconds_bucket{${path},le="+Inf"}`)).toBe(2);
    expect(values.get(`edm_http_request_duration_seconds_count{${path}}`)).toBe(2);
    const sum = values.get(`edm_http_request_duration_seconds_sum{${path}}`) ?? 0;
    expect(sum).toBeGreaterThanOrEqual(1.2);
    expect(sum).toBeLessThan(2);
  });

  it('refuses fault settings it cannot use, with the variable in the message', async () => {
    const result = await execa(
      process.execPath,
      [
        '--import',
        'tsx',
        'demo/edm-web/server.ts',
        '--port',
        '1',
        '--version',
        '1.0.0+errors',
        '--colour',
        'blue',
      ],
      { cwd: REPO_ROOT, reject: false, env: { EDM_ERROR_SHARE: '1.5' } },
    );
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('EDM_ERROR_SHARE');
  }, 15_000);
});
