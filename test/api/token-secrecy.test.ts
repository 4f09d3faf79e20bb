// R-SECRETS: no token, no digest of one and no Authorization header reaches a log line, an error body
// or a response, whatever the request: accepted, refused, malformed or failing inside.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { auth, createTestApp, IDENTITY_TOKENS, jsonAuth, TOKENS } from './api-test-app.js';

const UNKNOWN_TOKEN = 'rw_unknown-but-secret-4f9a2c7e1b';

let test: Awaited<ReturnType<typeof createTestApp>>;
const answers: string[] = [];

/** Every form a token or its digest could be written in. */
function secretForms(token: string): string[] {
  const digest = createHash('sha256').update(token).digest();
  return [token, digest.toString('hex'), digest.toString('base64'), digest.toString('base64url')];
}

beforeAll(async () => {
  test = await createTestApp();
  const requests: [string, RequestInit][] = [
    ['/api/v1/releases?limit=1', { headers: auth(TOKENS.opsWang) }], // reaches the (untouchable) pool: a 500
    ['/api/v1/releases', { headers: auth(UNKNOWN_TOKEN) }],
    ['/api/v1/releases', { headers: { Authorization: `Basic ${TOKENS.adminZhao}` } }],
    ['/api/v1/releases', { headers: { Authorization: `Bearer ${TOKENS.pmLi} trailing` } }],
    ['/api/v1/releases', { method: 'POST', headers: jsonAuth(TOKENS.pmLi), body: '{}' }],
    [
      '/api/v1/releases',
      { method: 'POST', headers: jsonAuth(TOKENS.opsWang), body: `{"version":"${TOKENS.devChen}"` },
    ],
    ['/api/v1/releases', { method: 'DELETE', headers: auth(TOKENS.devChen) }],
    ['/api/v1/nowhere', { headers: auth(TOKENS.qaSun) }],
    ['/api/v1/audit', { headers: auth(TOKENS.nobody) }],
  ];
  for (const [path, init] of requests) {
    const response = await test.app.request(path, init);
    answers.push(`${response.status} ${JSON.stringify([...response.headers])} ${await response.text()}`);
  }
});

describe('tokens stay secret', () => {
  it('answered every request', () => {
    expect(answers).toHaveLength(9);
    expect(answers.some((answer) => answer.startsWith('500 '))).toBe(true);
    expect(answers.filter((answer) => answer.startsWith('401 '))).toHaveLength(3);
  });

  it('puts none of them, nor their digests, in a response, a header or a log line', () => {
    const everything = [...answers, ...test.rawLog].join('\n');
    expect(test.rawLog.length).toBeGreaterThan(9);
    for (const token of [...Object.values(IDENTITY_TOKENS), UNKNOWN_TOKEN]) {
      for (const form of secretForms(token)) expect(everything).not.toContain(form);
    }
  });

  it('logs no Authorization header', () => {
    expect(test.rawLog.join('\n')).not.toMatch(/authorization|bearer /i);
  });
});
