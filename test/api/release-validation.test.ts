// R-INPUT: bad input is a 400 naming the failing fields, and never reaches Temporal or PostgreSQL
// (the test app's client and pool throw if touched, which would turn any of these into a 500).
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, createTestApp, type ErrorJson, jsonAuth, TOKENS } from './api-test-app.js';

let app: Awaited<ReturnType<typeof createTestApp>>['app'];

beforeAll(async () => {
  ({ app } = await createTestApp());
});

const valid = { type: 'regular', service: 'edm-web', version: '1.4.2' };

async function start(body: unknown, init: { raw?: string; contentType?: string } = {}) {
  const headers = { ...auth(TOKENS.opsWang), 'Content-Type': init.contentType ?? 'application/json' };
  const response = await app.request('/api/v1/releases', {
    method: 'POST',
    headers,
    body: init.raw ?? JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as ErrorJson };
}

const failingPaths = (body: ErrorJson) => body.error.issues?.map((issue) => issue.path) ?? [];

describe('POST /api/v1/releases input', () => {
  it.each(['1.2', 'v1.2.0', '1.2.0; rm -rf /', ' 1.2.0', '01.2.0', '1.2.0-RC.1', '=1.2.0', ''])(
    'rejects version %j with a 400 naming the version',
    async (version) => {
      const { status, body } = await start({ ...valid, version });
      expect(status).toBe(400);
      expect(body.error.code).toBe('invalid_request');
      expect(failingPaths(body)).toEqual(['version']);
    },
  );

  it('names what a version must look like', async () => {
    const { body } = await start({ ...valid, version: 'v1.2.0' });
    expect(body.error.issues?.[0]?.message).toMatch(/MAJOR\.MINOR\.PATCH.*leading "v"/);
    expect(body.error.message).toMatch(/^invalid body: version: expected a semantic version/);
  });

  it.each(['EDM-web', '-edm', 'edm_web', 'edm web', 'a'.repeat(64), '../etc'])(
    'rejects service name %j',
    async (service) => {
      const { status, body } = await start({ ...valid, service });
      expect(status).toBe(400);
      expect(failingPaths(body)).toEqual(['service']);
    },
  );

  it('rejects an unknown release type', async () => {
    const { status, body } = await start({ ...valid, type: 'yolo' });
    expect(status).toBe(400);
    expect(failingPaths(body)).toEqual(['type']);
  });

  it('reports every failing field at once', async () => {
    const { status, body } = await start({
      type: 'regular',
      service: 'Bad',
      version: 'x',
      changeRef: '$(id)',
    });
    expect(status).toBe(400);
    expect(failingPaths(body).sort()).toEqual(['changeRef', 'service', 'version']);
  });

  it('judges the other fields by the type, so an unknown type is named alone', async () => {
    const { status, body } = await start({ type: 'nope', service: 'Bad', version: 'x' });
    expect(status).toBe(400);
    expect(failingPaths(body)).toEqual(['type']);
  });

  it('says which fields belong to a config-change and which to the other types', async () => {
    const change = { type: 'config-change', service: 'edm-web', configRevision: 'send-rate-1200' };
    const missing = await start(change);
    expect(missing.status).toBe(400);
    expect(failingPaths(missing.body).sort()).toEqual(['impact', 'reason', 'rollbackPlan']);
    expect(missing.body.error.issues?.[0]?.message).toMatch(/for a config-change/);
    const versioned = await start({
      ...change,
      reason: 'faster',
      impact: 'none',
      rollbackPlan: 'back',
      version: '1.0.0',
    });
    expect(versioned.status).toBe(400);
    expect(versioned.body.error.issues?.[0]?.message).toMatch(
      /unknown field "version": a config-change applies a configRevision/,
    );
    const regular = await start({ ...valid, reason: 'why not' });
    expect(regular.status).toBe(400);
    expect(regular.body.error.issues?.[0]?.message).toMatch(
      /unknown field "reason": only a config-change takes/,
    );
  });

  it('reports missing fields', async () => {
    const { status, body } = await start({ type: 'regular' });
    expect(status).toBe(400);
    expect(failingPaths(body).sort()).toEqual(['service', 'version']);
  });

  it('rejects unknown fields rather than ignoring a typo', async () => {
    const { status, body } = await start({ ...valid, dryrun: true });
    expect(status).toBe(400);
    expect(body.error.issues?.[0]?.message).toMatch(/dryrun/);
  });

  it('rejects a change reference with shell characters or too long', async () => {
    for (const changeRef of ['CHG-1; reboot', '$(id)', 'x'.repeat(201)]) {
      const { status, body } = await start({ ...valid, changeRef });
      expect(status).toBe(400);
      expect(failingPaths(body)).toEqual(['changeRef']);
    }
  });

  it('rejects a body that is not JSON', async () => {
    const { status, body } = await start(undefined, { raw: '{"type": "regular",' });
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_request');
  });

  it('rejects a body that is not an object', async () => {
    const { status, body } = await start(['regular']);
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_request');
  });

  it('rejects a body sent as another media type', async () => {
    const { status, body } = await start(valid, { contentType: 'text/plain' });
    expect(status).toBe(415);
    expect(body.error.code).toBe('unsupported_media_type');
  });

  it('rejects a body beyond the size limit', async () => {
    const { status, body } = await start({ ...valid, changeRef: 'x'.repeat(100_000) });
    expect(status).toBe(413);
    expect(body.error.code).toBe('payload_too_large');
  });

  it('answers a service that no configuration knows with a 422 invalid_release', async () => {
    const { status, body } = await start({ ...valid, service: 'nobody-knows', dryRun: true });
    expect(status).toBe(422);
    expect(body.error).toEqual({ code: 'invalid_release', message: 'unknown service nobody-knows' });
  });
});

describe('release types without a runbook yet', () => {
  let runbookDir: string;
  let onlyRegular: Awaited<ReturnType<typeof createTestApp>>['app'];

  // A folder holding only the regular runbook, so this stays true when hotfix.yml arrives.
  beforeAll(async () => {
    runbookDir = await mkdtemp(join(tmpdir(), 'runway-runbooks-'));
    await copyFile(
      fileURLToPath(new URL('../../runbooks/regular.yml', import.meta.url)),
      join(runbookDir, 'regular.yml'),
    );
    ({ app: onlyRegular } = await createTestApp({ runbookDir }));
  });
  afterAll(async () => {
    await rm(runbookDir, { recursive: true, force: true });
  });

  it.each([false, true])(
    'answers 422 for a type without a runbook (dryRun %s), without naming server paths',
    async (dryRun) => {
      const response = await onlyRegular.request('/api/v1/releases', {
        method: 'POST',
        headers: jsonAuth(TOKENS.opsWang),
        body: JSON.stringify({ ...valid, type: 'hotfix', dryRun }),
      });
      expect(response.status).toBe(422);
      expect(await response.json()).toEqual({
        error: { code: 'unprocessable', message: 'no runbook for release type hotfix yet' },
      });
    },
  );
});

describe('other inputs', () => {
  it.each(['limit=0', 'limit=201', 'limit=ten', 'status=done', 'type=weekly', 'service=Edm'])(
    'rejects the list query %s',
    async (query) => {
      const response = await app.request(`/api/v1/releases?${query}`, { headers: auth(TOKENS.devChen) });
      expect(response.status).toBe(400);
      const body = (await response.json()) as ErrorJson;
      expect(failingPaths(body)).toEqual([query.split('=')[0]]);
    },
  );

  it.each(['Edm-Web-1', '-leading-dash', 'a'.repeat(129), 'x%20y'])('rejects release id %j', async (id) => {
    const response = await app.request(`/api/v1/releases/${id}`, { headers: auth(TOKENS.devChen) });
    expect(response.status).toBe(400);
    expect(failingPaths((await response.json()) as ErrorJson)).toEqual(['id']);
  });

  it.each([
    [{ decision: 'maybe' }, 'decision'],
    [{ decision: 'approve', comment: 'x'.repeat(501) }, 'comment'],
    [{ decision: 'reject', comment: 'stop\u0000here' }, 'comment'],
    [{}, 'decision'],
  ])('rejects the decision %j', async (decision, field) => {
    const response = await app.request('/api/v1/releases/edm-web-regular-1.4.2-a1b2c3/approvals', {
      method: 'POST',
      headers: jsonAuth(TOKENS.pmLi),
      body: JSON.stringify(decision),
    });
    expect(response.status).toBe(400);
    expect(failingPaths((await response.json()) as ErrorJson)).toEqual([field]);
  });
});

describe('the calendar and window-override inputs', () => {
  let app: Awaited<ReturnType<typeof createTestApp>>['app'];
  beforeAll(async () => {
    ({ app } = await createTestApp());
  });

  it.each([
    ['to before from', 'from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z', /at or after from/],
    ['more than 400 days', 'from=2026-01-01T00:00:00Z&to=2027-02-06T00:00:00Z', /at most 400 days/],
  ])('answers 422 to a well-formed calendar range %s, stating the rule', async (_what, range, rule) => {
    const response = await app.request(`/api/v1/calendar?environment=production&${range}`, {
      headers: auth(TOKENS.devChen),
    });
    expect(response.status).toBe(422);
    expect(((await response.json()) as ErrorJson).error.message).toMatch(rule);
  });

  it('answers 400 to a calendar instant that is not one', async () => {
    const response = await app.request(
      '/api/v1/calendar?environment=production&from=yesterday&to=2026-12-01T00:00:00Z',
      {
        headers: auth(TOKENS.devChen),
      },
    );
    expect(response.status).toBe(400);
    expect(failingPaths((await response.json()) as ErrorJson)).toEqual(['from']);
  });

  it('answers an empty range with nothing', async () => {
    const response = await app.request(
      '/api/v1/calendar?environment=production&from=2026-12-02T00:00:00Z&to=2026-12-02T00:00:00Z',
      {
        headers: auth(TOKENS.devChen),
      },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ windows: [], freezes: [] });
  });

  it('answers 403 to someone who cannot read the environment', async () => {
    const response = await app.request(
      '/api/v1/calendar?environment=nowhere&from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z',
      { headers: auth(TOKENS.devChen) },
    );
    expect(response.status).toBe(403);
  });

  it.each([[{}], [{ reason: 'x' }], [{ reason: 'ok reason', extra: 1 }]])(
    'answers 400 to the override %j',
    async (body) => {
      const response = await app.request('/api/v1/releases/edm-web-regular-1.4.2-a1b2c3/window-override', {
        method: 'POST',
        headers: jsonAuth(TOKENS.adminZhao),
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(400);
    },
  );
});
