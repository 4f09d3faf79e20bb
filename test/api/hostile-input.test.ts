// R-INPUT: hostile requests get a 4xx that says what is wrong, never a 500, and never reach Temporal or
// PostgreSQL: the test app's client and pool throw when touched, which would turn any of these into
// a 500, so every answer below also proves that nothing was started or recorded.
import { beforeAll, describe, expect, it } from 'vitest';
import { auth, createTestApp, type ErrorJson, jsonAuth, TOKENS } from './api-test-app.js';

let app: Awaited<ReturnType<typeof createTestApp>>['app'];

beforeAll(async () => {
  ({ app } = await createTestApp());
});

const RELEASE = '/api/v1/releases/edm-web-regular-1.4.2-a1b2c3';
const valid = { type: 'regular', service: 'edm-web', version: '1.4.2', dryRun: true };

async function post(
  path: string,
  body: string | Uint8Array,
  headers: Record<string, string> = jsonAuth(TOKENS.opsWang),
) {
  const response = await app.request(path, { method: 'POST', headers, body });
  return { status: response.status, headers: response.headers, body: (await response.json()) as ErrorJson };
}

/** The fields the issues name, each once (one field may fail several rules). */
const fieldsOf = (body: ErrorJson) => [...new Set(body.error.issues?.map((issue) => issue.path))].sort();

const HOSTILE_STRINGS: [string, string][] = [
  ['an option', '--help'],
  ['a short option', '-rf'],
  ['shell syntax', '1.0.0;rm -rf /'],
  ['a command substitution', '$(id)'],
  ['a NUL byte', '1.0.0\u0000'],
  ['a newline', '1.0.0\n'],
  ['a tab', '1.0.0\t-x'],
  ['a fullwidth hyphen', '\uff0drf'],
  ['a Cyrillic homoglyph', '\u0435dm-web'],
  ['a right-to-left override', '1.0.0\u202e'],
  ['a zero-width space', '1.0\u200b.0'],
  ['10 kB', '1'.repeat(10_240)],
];

describe('names and versions that reach a command line', () => {
  it.each(HOSTILE_STRINGS)('refuses a version with %s', async (_what, version) => {
    const { status, body } = await post('/api/v1/releases', JSON.stringify({ ...valid, version }));
    expect(status).toBe(400);
    expect(fieldsOf(body)).toEqual(['version']);
  });

  it.each(HOSTILE_STRINGS)('refuses a service name with %s', async (_what, service) => {
    const { status, body } = await post('/api/v1/releases', JSON.stringify({ ...valid, service }));
    expect(status).toBe(400);
    expect(fieldsOf(body)).toEqual(['service']);
  });

  it.each([
    ['an option', '-x'],
    ['a space', 'CHG 1'],
    ['a newline', 'CHG-1\n'],
    ['markdown', '[click](http://evil.example)'],
    ['HTML', '<img src=x>'],
    ['10 kB', 'C'.repeat(10_240)],
  ])('refuses a change reference with %s', async (_what, changeRef) => {
    const { status, body } = await post('/api/v1/releases', JSON.stringify({ ...valid, changeRef }));
    expect(status).toBe(400);
    expect(body.error.issues?.map((issue) => issue.path)).toEqual(['changeRef']);
  });
});

describe('bodies', () => {
  it('names an unknown field, and every one of several', async () => {
    const { status, body } = await post(
      '/api/v1/releases',
      JSON.stringify({ ...valid, evil: 1, __proto__x: 2 }),
    );
    expect(status).toBe(400);
    expect(body.error.issues?.map((issue) => issue.path).sort()).toEqual(['__proto__x', 'evil']);
    expect(body.error.message).toContain('unknown field "evil"');
  });

  it('rejects an unknown field in a decision and in a window override', async () => {
    const decision = await post(
      `${RELEASE}/approvals`,
      JSON.stringify({ decision: 'approve', comment: 'ok', approver: 'someone-else' }),
      jsonAuth(TOKENS.pmLi),
    );
    expect(decision.status).toBe(400);
    expect(decision.body.error.issues?.map((issue) => issue.path)).toEqual(['approver']);
    const override = await post(
      `${RELEASE}/window-override`,
      JSON.stringify({ reason: 'the fix cannot wait', quorum: [] }),
      jsonAuth(TOKENS.adminZhao),
    );
    expect(override.status).toBe(400);
    expect(override.body.error.issues?.map((issue) => issue.path)).toEqual(['quorum']);
  });

  it.each([
    ['truncated JSON', '{"type":'],
    ['an empty body', ''],
    ['a trailing comma', '{"type":"regular",}'],
    ['single quotes', "{'type':'regular'}"],
    ['a byte-order mark and garbage', '\ufeff\u0000\u0001'],
  ])('answers 400 to %s, saying the JSON is malformed', async (_what, raw) => {
    const { status, body } = await post('/api/v1/releases', raw);
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.message).toMatch(/malformed JSON/);
  });

  it.each([
    ['an array', '[]'],
    ['null', 'null'],
    ['a string', '"regular"'],
    ['deep nesting', `${'['.repeat(5_000)}${']'.repeat(5_000)}`],
    ['a huge number', JSON.stringify({ ...valid, version: 1e308 })],
  ])('answers 400 to a body that is %s', async (_what, raw) => {
    const { status, body } = await post('/api/v1/releases', raw);
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_request');
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['a form', 'application/x-www-form-urlencoded'],
    ['XML', 'application/xml'],
  ])('answers 415 to a body sent as %s, naming the type it expects', async (_what, contentType) => {
    const { status, body } = await post('/api/v1/releases', JSON.stringify(valid), {
      ...auth(TOKENS.opsWang),
      'Content-Type': contentType,
    });
    expect(status).toBe(415);
    expect(body.error.code).toBe('unsupported_media_type');
    expect(body.error.message).toContain('application/json');
    expect(body.error.message).toContain(contentType);
  });

  it('answers 415 to a body with no Content-Type', async () => {
    // Bytes, not a string: a string body would be given text/plain on the way.
    const bytes = new TextEncoder().encode(JSON.stringify(valid));
    const { status, body } = await post('/api/v1/releases', bytes, auth(TOKENS.opsWang));
    expect(status).toBe(415);
    expect(body.error.message).toMatch(/expected a JSON body with Content-Type: application\/json$/);
  });

  it('answers 413 to a body over the limit that declares its length', async () => {
    const { status, body } = await post(
      '/api/v1/releases',
      JSON.stringify({ ...valid, pad: 'x'.repeat(70_000) }),
    );
    expect(status).toBe(413);
    expect(body.error.code).toBe('payload_too_large');
  });

  it('answers 413 to a body over the limit streamed without a Content-Length (chunked)', async () => {
    const chunk = new TextEncoder().encode(`"${'x'.repeat(8_190)}",`);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        // An endless stream: the limit, not the sender, must end it.
        sent += chunk.length;
        controller.enqueue(sent === chunk.length ? new TextEncoder().encode('[') : chunk);
      },
    });
    const response = await app.request('/api/v1/releases', {
      method: 'POST',
      headers: jsonAuth(TOKENS.opsWang),
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(sent).toBeLessThan(200_000);
  });
});

describe('headers', () => {
  it.each([
    ['too long', 'k'.repeat(201)],
    ['with a space', 'my key'],
    ['beyond ASCII', 'cl\u00e9-1'],
  ])('answers 400 to an Idempotency-Key %s', async (_what, key) => {
    const { status, body } = await post('/api/v1/releases', JSON.stringify({ ...valid, dryRun: false }), {
      ...jsonAuth(TOKENS.opsWang),
      'Idempotency-Key': key,
    });
    expect(status).toBe(400);
    expect(fieldsOf(body)).toEqual(['idempotency-key']);
  });
});

describe('paths and queries', () => {
  it.each([
    ['dots', '..%2F..%2Fetc%2Fpasswd'],
    ['an encoded NUL', 'edm-web%00'],
    ['upper case', 'EDM-WEB-1'],
    ['a leading hyphen', '-edm-web'],
    ['10 kB', 'a'.repeat(10_240)],
    ['unicode', '%E2%80%AEedm'],
  ])('answers 400 to a release id with %s', async (_what, id) => {
    const response = await app.request(`/api/v1/releases/${id}`, { headers: auth(TOKENS.opsWang) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorJson).error.issues?.map((issue) => issue.path)).toEqual(['id']);
  });

  it.each([
    ['a negative limit', 'limit=-1', 'limit'],
    ['a limit that is no number', 'limit=ten', 'limit'],
    ['a limit too large', 'limit=1000000000000000000000', 'limit'],
    ['an unknown status', 'status=%3Cscript%3E', 'status'],
    ['a service with a NUL', 'service=edm%00', 'service'],
  ])('answers 400 to a list query with %s', async (_what, query, field) => {
    const response = await app.request(`/api/v1/releases?${query}`, { headers: auth(TOKENS.opsWang) });
    expect(response.status).toBe(400);
    expect(fieldsOf((await response.json()) as ErrorJson)).toEqual([field]);
  });

  it.each([
    ['GET', '/api/v1/releases?bogus=1'],
    ['GET', `${RELEASE}?environment=test`],
    ['POST', `${RELEASE}/approvals?environment=test`],
    ['POST', `${RELEASE}/window-override?environment=test`],
    ['GET', '/api/v1/calendar?environment=test&from=2026-12-01T00:00:00Z&to=2026-12-02T00:00:00Z&bogus=1'],
    ['GET', '/api/v1/audit?bogus=1'],
  ])('refuses a query parameter %s %s does not declare, naming it', async (method, path) => {
    const response = await app.request(path, {
      method,
      headers: jsonAuth(TOKENS.adminZhao),
      ...(method === 'POST' ? { body: JSON.stringify({ decision: 'approve', reason: 'x' }) } : {}),
    });
    expect(response.status).toBe(400);
    const issues = ((await response.json()) as ErrorJson).error.issues ?? [];
    expect(issues.map((issue) => issue.message).join(' ')).toMatch(/unknown field "(bogus|environment)"/);
  });
});

describe('methods', () => {
  it.each([
    ['DELETE', '/api/v1/releases', 'GET, HEAD, POST'],
    ['PUT', RELEASE, 'GET, HEAD'],
    ['PATCH', RELEASE, 'GET, HEAD'],
    ['GET', `${RELEASE}/approvals`, 'POST'],
    ['DELETE', `${RELEASE}/window-override`, 'POST'],
    ['POST', '/api/v1/calendar', 'GET, HEAD'],
    ['POST', '/healthz', 'GET, HEAD'],
    ['PUT', '/openapi.json', 'GET, HEAD'],
  ])('answers 405 to %s %s with Allow: %s', async (method, path, allow) => {
    const response = await app.request(path, { method, headers: auth(TOKENS.opsWang) });
    expect(response.status).toBe(405);
    expect(response.headers.get('Allow')).toBe(allow);
    const body = (await response.json()) as ErrorJson;
    expect(body.error.code).toBe('method_not_allowed');
    expect(body.error.message).toContain(allow);
  });

  it('still asks for a token before saying which methods a path under /api/v1 allows', async () => {
    const response = await app.request('/api/v1/releases', { method: 'DELETE' });
    expect(response.status).toBe(401);
  });

  it.each(['/api/v1/nothing-here', '/api/v1/releases/a/b/c', '/nothing', '/api/v2/releases'])(
    'answers 404 to the unknown path %s',
    async (path) => {
      const response = await app.request(path, { method: 'DELETE', headers: auth(TOKENS.opsWang) });
      expect(response.status).toBe(404);
      expect(response.headers.get('Allow')).toBeNull();
    },
  );
});
