// R-AUTH: no token or a bad one is a 401; a token without the role is a 403.
import { beforeAll, describe, expect, it } from 'vitest';
import { auth, createTestApp, type ErrorJson, jsonAuth, TOKENS } from './api-test-app.js';

let app: Awaited<ReturnType<typeof createTestApp>>['app'];

beforeAll(async () => {
  ({ app } = await createTestApp());
});

const startBody = JSON.stringify({ type: 'regular', service: 'edm-web', version: '1.4.2' });

describe('bearer authentication', () => {
  it('answers 401 with a Bearer challenge when there is no token', async () => {
    const response = await app.request('/api/v1/releases');
    expect(response.status).toBe(401);
    expect(response.headers.get('WWW-Authenticate')).toMatch(/^Bearer /);
    const body = (await response.json()) as ErrorJson;
    expect(body.error.code).toBe('unauthorized');
    expect(body.error.message).toMatch(/bearer token/);
  });

  it('answers 401 for a token that names no identity', async () => {
    const response = await app.request('/api/v1/releases', { headers: auth('not-a-known-token-0000') });
    expect(response.status).toBe(401);
    expect(response.headers.get('WWW-Authenticate')).toContain('error="invalid_token"');
    expect(((await response.json()) as ErrorJson).error.code).toBe('unauthorized');
  });

  it('answers 401 for a known token sent with another scheme', async () => {
    const response = await app.request('/api/v1/releases', {
      headers: { Authorization: `Basic ${TOKENS.opsWang}` },
    });
    expect(response.status).toBe(401);
  });

  it('answers 401 for a token that differs from a known one by its last character', async () => {
    const response = await app.request('/api/v1/releases', {
      headers: auth(`${TOKENS.opsWang.slice(0, -1)}x`),
    });
    expect(response.status).toBe(401);
  });

  it('checks the token before the body, so an unauthenticated caller learns nothing about validation', async () => {
    const response = await app.request('/api/v1/releases', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"version":"nonsense"}',
    });
    expect(response.status).toBe(401);
  });

  it('guards unknown paths under /api/v1 too', async () => {
    const response = await app.request('/api/v1/no-such-resource');
    expect(response.status).toBe(401);
  });
});

describe('roles', () => {
  it('refuses to start a release for an identity without the deploy role anywhere (pm-li)', async () => {
    const response = await app.request('/api/v1/releases', {
      method: 'POST',
      headers: jsonAuth(TOKENS.pmLi),
      body: startBody,
    });
    expect(response.status).toBe(403);
    const body = (await response.json()) as ErrorJson;
    expect(body.error.code).toBe('forbidden');
    expect(body.error.message).toContain('pm-li');
  });

  it('refuses a release that deploys where the identity may not (dev-chen deploys only in development)', async () => {
    const response = await app.request('/api/v1/releases', {
      method: 'POST',
      headers: jsonAuth(TOKENS.devChen),
      body: startBody,
    });
    expect(response.status).toBe(403);
    const body = (await response.json()) as ErrorJson;
    expect(body.error.code).toBe('forbidden');
    expect(body.error.message).toBe('dev-chen lacks the deploy role in test, staging, production');
  });

  it('gives a dry run the same answer the real start would give', async () => {
    const response = await app.request('/api/v1/releases', {
      method: 'POST',
      headers: jsonAuth(TOKENS.devChen),
      body: JSON.stringify({ type: 'regular', service: 'edm-web', version: '1.4.2', dryRun: true }),
    });
    expect(response.status).toBe(403);
    expect(((await response.json()) as ErrorJson).error.message).toContain(
      'dev-chen lacks the deploy role in test, staging, production',
    );
  });
});
