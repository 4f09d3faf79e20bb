// Request ids, the per-request log line, and what a 500 does and does not tell the caller.
import { beforeEach, describe, expect, it } from 'vitest';
import { auth, createTestApp, type ErrorJson, TOKENS } from './api-test-app.js';

let setup: Awaited<ReturnType<typeof createTestApp>>;

beforeEach(async () => {
  setup = await createTestApp();
});

const requestLines = () => setup.logLines.filter((line) => line.msg === 'request');

describe('request ids', () => {
  it('honours a sane incoming X-Request-Id', async () => {
    const response = await setup.app.request('/healthz', { headers: { 'X-Request-Id': 'ci-run-42_step-7' } });
    expect(response.headers.get('X-Request-Id')).toBe('ci-run-42_step-7');
  });

  it.each(['has spaces', 'new\\nline', 'x'.repeat(129), '<script>'])(
    'replaces the incoming id %j with a fresh one',
    async (incoming) => {
      const response = await setup.app.request('/healthz', { headers: { 'X-Request-Id': incoming } });
      const id = response.headers.get('X-Request-Id');
      expect(id).not.toBe(incoming);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    },
  );

  it('generates ids that differ between requests, on errors too', async () => {
    const first = await setup.app.request('/api/v1/releases');
    const second = await setup.app.request('/nowhere');
    const ids = [first.headers.get('X-Request-Id'), second.headers.get('X-Request-Id')];
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[1]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[0]).not.toBe(ids[1]);
  });
});

describe('request log', () => {
  it('writes one line per request with method, path, status, duration, request id and identity', async () => {
    await setup.app.request('/api/v1/releases?limit=0', {
      headers: { ...auth(TOKENS.devChen), 'X-Request-Id': 'req-1' },
    });
    expect(requestLines()).toEqual([
      expect.objectContaining({
        method: 'GET',
        path: '/api/v1/releases',
        status: 400,
        ms: expect.any(Number),
        requestId: 'req-1',
        identity: 'dev-chen',
      }),
    ]);
  });

  it('never writes a token, accepted or refused', async () => {
    await setup.app.request('/api/v1/releases?limit=0', { headers: auth(TOKENS.opsWang) });
    await setup.app.request('/api/v1/releases', { headers: auth('wrong-token-but-long-enough') });
    expect(requestLines().map((line) => line.status)).toEqual([400, 401]);
    const everything = setup.rawLog.join('\n');
    expect(everything).not.toContain(TOKENS.opsWang);
    expect(everything).not.toContain('wrong-token-but-long-enough');
  });
});

describe('unexpected failures', () => {
  // Listing reaches the pool, which in this app throws: the stand-in for a database that fails.
  it('answer 500 with the request id and without internals, and log the error', async () => {
    const response = await setup.app.request('/api/v1/releases', {
      headers: { ...auth(TOKENS.devChen), 'X-Request-Id': 'req-500' },
    });
    expect(response.status).toBe(500);
    const body = (await response.json()) as ErrorJson;
    expect(body.error.code).toBe('internal');
    expect(body.error.requestId).toBe('req-500');
    expect(JSON.stringify(body)).not.toMatch(/PostgreSQL|pool|touched|stack/i);
    const failure = setup.logLines.find((line) => line.msg === 'request failed');
    expect(failure).toMatchObject({
      requestId: 'req-500',
      err: { message: expect.stringContaining('pool') },
    });
  });
});
