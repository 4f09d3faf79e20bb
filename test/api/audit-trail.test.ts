// R-AUDIT through the API: every request under /api/v1 lands in the audit trail, allowed or refused,
// with who, what, on what, the outcome, the reason and the request id; admins list it, filtered, and
// see only the environments where they are admin. The trail is real PostgreSQL written as runway_app;
// the Temporal client is never reached by these requests.
import type { Client } from '@temporalio/client';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/create-app.js';
import { ReleaseService } from '../../api/release-service.js';
import { ReleaseCalendars } from '../../calendar/release-calendars.js';
import { loadConfig } from '../../config/load-config.js';
import { AuditLog } from '../../db/audit-log.js';
import { payloadEncryption } from '../../security/data-converter.js';
import { parseDecisionKeys } from '../../security/decision-signature.js';
import { type MigratedDatabase, startMigratedDatabase } from '../support/migrated-database.js';
import { testPayloadKeys } from '../support/payload-keys.js';
import { auth, createTestApp, jsonAuth, TOKENS } from './api-test-app.js';

const TOKEN = {
  opsWang: 'ops-wang-audit-5d1c0e7b9a2f',
  pmLi: 'pm-li-audit-0b6e3f9c2d7a41',
  devChen: 'dev-chen-audit-8f2a6c1e4b9d',
  adminZhao: 'admin-zhao-audit-3e7b1d9f5c2a',
  adminQian: 'admin-qian-audit-6a4c8e2f0b1d',
  qaSun: 'qa-sun-audit-2c9e5a7f1d3b',
};

interface AuditEventJson {
  id: number;
  occurredAt: string;
  actor: string | null;
  action: string;
  target: string;
  environment: string | null;
  outcome: string;
  status: number | null;
  reason: string | null;
  requestId: string | null;
  details: Record<string, unknown> | null;
}
interface AuditPageJson {
  events: AuditEventJson[];
  nextBefore: number | null;
}

let database: MigratedDatabase;
let appPool: pg.Pool;
let ownerPool: pg.Pool;
let app: ReturnType<typeof createApp>;

/** A Temporal client these requests must never reach. */
const unreachableClient = new Proxy(
  {},
  {
    get(_target, property) {
      throw new Error(`the Temporal client touched (${String(property)})`);
    },
  },
) as Client;

beforeAll(async () => {
  database = await startMigratedDatabase();
  appPool = new pg.Pool({ connectionString: database.appUrl, max: 3 });
  ownerPool = new pg.Pool({ connectionString: database.ownerUrl, max: 1 });
  // pool.end() lets go of its connections before they have closed; the server stopping right after
  // may still end one, which is no failure of the test.
  for (const pool of [appPool, ownerPool]) pool.on('error', () => {});
  const config = await loadConfig();
  // admin-qian is admin everywhere but production here: production's entries are not theirs to see.
  const production = config.environments.production;
  if (!production) throw new Error('the shipped configuration has no production environment');
  production.grants['admin-qian'] = ['read'];
  const logger = pino({ level: 'silent' });
  const calendars = new ReleaseCalendars(config);
  const service = new ReleaseService({
    client: unreachableClient,
    pool: appPool,
    config,
    logger,
    decisionKeys: parseDecisionKeys(`test:${Buffer.alloc(32, 7).toString('base64url')}`, 'test keys'),
    windowCalendar: calendars,
  });
  const tokens = new Map([
    [TOKEN.opsWang, 'ops-wang'],
    [TOKEN.pmLi, 'pm-li'],
    [TOKEN.devChen, 'dev-chen'],
    [TOKEN.adminZhao, 'admin-zhao'],
    [TOKEN.adminQian, 'admin-qian'],
    [TOKEN.qaSun, 'qa-sun'],
  ]);
  app = createApp({
    service,
    config,
    tokens,
    logger,
    calendars,
    audit: new AuditLog(appPool),
    payloadCodec: payloadEncryption(testPayloadKeys).codec,
  });
});

afterAll(async () => {
  await appPool?.end();
  await ownerPool?.end();
  await database?.stop();
});

async function entryOf(requestId: string): Promise<Record<string, unknown>> {
  const { rows } = await ownerPool.query('SELECT * FROM audit_events WHERE request_id = $1', [requestId]);
  expect(rows).toHaveLength(1);
  return rows[0];
}

const call = (
  path: string,
  requestId: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
) => app.request(path, { ...init, headers: { ...init.headers, 'X-Request-Id': requestId } });

const RELEASES = '/api/v1/releases';
const CALENDAR = '/api/v1/calendar?environment=production&from=2026-12-01T00:00:00Z&to=2026-12-08T00:00:00Z';

describe('recording', () => {
  it('records a request refused for want of a token (401): no actor, the reason, the request id', async () => {
    expect((await call(RELEASES, 'audit-401')).status).toBe(401);
    expect(await entryOf('audit-401')).toMatchObject({
      actor: null,
      action: 'releases.list',
      target: RELEASES,
      environment: null,
      outcome: 'refused',
      status: 401,
      reason: expect.stringMatching(/^unauthorized: a bearer token is required/),
      details: { method: 'GET', path: RELEASES, route: RELEASES },
    });
  });

  it('records a request refused for want of a role (403), with who asked', async () => {
    const response = await call(RELEASES, 'audit-403', {
      method: 'POST',
      headers: jsonAuth(TOKEN.pmLi),
      body: JSON.stringify({ type: 'regular', service: 'edm-web', version: '1.4.2' }),
    });
    expect(response.status).toBe(403);
    expect(await entryOf('audit-403')).toMatchObject({
      actor: 'pm-li',
      action: 'releases.start',
      outcome: 'refused',
      status: 403,
      reason: expect.stringMatching(/^forbidden: /),
    });
  });

  it('records an invalid request (400) against the service it named, with the failing fields', async () => {
    const response = await call(RELEASES, 'audit-400', {
      method: 'POST',
      headers: jsonAuth(TOKEN.opsWang),
      body: JSON.stringify({ type: 'regular', service: 'edm-web', version: 'not a version' }),
    });
    expect(response.status).toBe(400);
    expect(await entryOf('audit-400')).toMatchObject({
      actor: 'ops-wang',
      action: 'releases.start',
      target: 'edm-web',
      outcome: 'refused',
      status: 400,
      reason: expect.stringMatching(/^invalid_request: invalid body: version/),
    });
  });

  it('records allowed requests (2xx), with the environment a request names', async () => {
    expect((await call(CALENDAR, 'audit-200-calendar', { headers: auth(TOKEN.devChen) })).status).toBe(200);
    expect(await entryOf('audit-200-calendar')).toMatchObject({
      actor: 'dev-chen',
      action: 'calendar.read',
      target: '/api/v1/calendar',
      environment: 'production',
      outcome: 'allowed',
      status: 200,
      reason: null,
    });
    const dryRun = await call(RELEASES, 'audit-200-dry-run', {
      method: 'POST',
      headers: jsonAuth(TOKEN.opsWang),
      body: JSON.stringify({ type: 'regular', service: 'edm-web', version: '1.4.2', dryRun: true }),
    });
    expect(dryRun.status).toBe(200);
    expect(await entryOf('audit-200-dry-run')).toMatchObject({
      actor: 'ops-wang',
      action: 'releases.dry-run',
      target: 'edm-web',
      outcome: 'allowed',
      status: 200,
    });
  });

  it('records service and metrics reads against the service and environment they name', async () => {
    const list = await call('/api/v1/services', 'audit-services', { headers: auth(TOKEN.devChen) });
    expect(list.status).toBe(200);
    expect(await entryOf('audit-services')).toMatchObject({ action: 'services.list', environment: null });
    const metrics = await call('/api/v1/metrics/delivery?environment=production', 'audit-metrics', {
      headers: auth(TOKEN.devChen),
    });
    expect(metrics.status).toBe(200);
    expect(await entryOf('audit-metrics')).toMatchObject({
      action: 'metrics.delivery',
      environment: 'production',
      outcome: 'allowed',
    });
    // Refused before any worker is asked: the entry still names the service and the environment.
    const health = await call('/api/v1/services/edm-web/environments/production/health', 'audit-health', {
      headers: auth(TOKEN.qaSun),
    });
    expect(health.status).toBe(403);
    expect(await entryOf('audit-health')).toMatchObject({
      action: 'service.health-check',
      target: 'edm-web',
      environment: 'production',
      status: health.status,
    });
    // A name outside the configuration is never filed as an environment.
    await call('/api/v1/services/edm-web/environments/nowhere/health', 'audit-health-nowhere', {
      headers: auth(TOKEN.devChen),
    });
    expect(await entryOf('audit-health-nowhere')).toMatchObject({ environment: null, status: 404 });
  });

  it('records a request about a release against its id, in the environment the release stands in', async () => {
    const id = 'edm-web-regular-1.3.0-aud001';
    await ownerPool.query(
      `INSERT INTO releases (id, type, service, version, requested_by, status, runbook, environments,
         current_environment, finished_at)
       VALUES ($1, 'regular', 'edm-web', '1.3.0', 'ops-wang', 'rejected', '{"steps":[]}', '{test,production}',
         'production', now())`,
      [id],
    );
    const response = await call(`${RELEASES}/${id}/approvals`, 'audit-409', {
      method: 'POST',
      headers: jsonAuth(TOKEN.pmLi),
      body: JSON.stringify({ decision: 'approve' }),
    });
    expect(response.status).toBe(409);
    expect(await entryOf('audit-409')).toMatchObject({
      actor: 'pm-li',
      action: 'approvals.decide',
      target: id,
      environment: 'production',
      outcome: 'refused',
      status: 409,
      reason: `conflict: release ${id} has ended (rejected)`,
    });
  });

  it('records requests that match no operation, and never the token', async () => {
    expect((await call('/api/v1/nothing-here', 'audit-404', { headers: auth(TOKEN.devChen) })).status).toBe(
      404,
    );
    expect(await entryOf('audit-404')).toMatchObject({
      actor: 'dev-chen',
      action: 'unknown-operation',
      target: '/api/v1/nothing-here',
      status: 404,
    });
    const { rows } = await ownerPool.query(
      'SELECT row_to_json(audit_events)::text AS text FROM audit_events',
    );
    const everything = rows.map((row) => row.text).join('\n');
    for (const token of Object.values(TOKEN)) expect(everything).not.toContain(token);
  });

  it('never files an entry under an environment the caller merely wrote in the query', async () => {
    const response = await call(
      `${RELEASES}/edm-web-regular-1.4.2-a1b2c3/approvals?environment=test`,
      'audit-env',
      {
        method: 'POST',
        headers: jsonAuth(TOKEN.adminQian),
        body: JSON.stringify({ decision: 'approve' }),
      },
    );
    expect(response.status).toBe(400);
    expect(await entryOf('audit-env')).toMatchObject({ action: 'approvals.decide', environment: null });
  });

  it('records who asked the codec endpoint to decrypt payloads, and who was refused; not preflights', async () => {
    const body = JSON.stringify({ payloads: [] });
    const fromWeb = {
      'Content-Type': 'application/json',
      'X-Namespace': 'default',
      Origin: 'http://localhost:8233',
    };
    const decoded = await call('/codec/decode', 'audit-codec-ok', {
      method: 'POST',
      headers: { ...fromWeb, ...auth(TOKEN.devChen) },
      body,
    });
    expect(decoded.status).toBe(200);
    expect(await entryOf('audit-codec-ok')).toMatchObject({
      actor: 'dev-chen',
      action: 'codec.decode',
      outcome: 'allowed',
      status: 200,
    });
    const refused = await call('/codec/decode', 'audit-codec-401', {
      method: 'POST',
      headers: fromWeb,
      body,
    });
    expect(refused.status).toBe(401);
    expect(await entryOf('audit-codec-401')).toMatchObject({
      actor: null,
      action: 'codec.decode',
      outcome: 'refused',
      status: 401,
    });
    await call('/codec/decode', 'audit-codec-preflight', {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:8233', 'Access-Control-Request-Method': 'POST' },
    });
    const { rows } = await ownerPool.query('SELECT 1 FROM audit_events WHERE request_id = $1', [
      'audit-codec-preflight',
    ]);
    expect(rows).toHaveLength(0);
  });

  it('records a request that failed (5xx) as failed, with the request id the caller can quote', async () => {
    // The records' pool is closed under the service: listing fails unexpectedly; the trail does not.
    const closed = new pg.Pool({ connectionString: database.appUrl, max: 1 });
    await closed.end();
    const config = await loadConfig();
    const calendars = new ReleaseCalendars(config);
    const logger = pino({ level: 'silent' });
    const broken = createApp({
      service: new ReleaseService({
        client: unreachableClient,
        pool: closed,
        config,
        logger,
        decisionKeys: parseDecisionKeys(`test:${Buffer.alloc(32, 7).toString('base64url')}`, 'test keys'),
        windowCalendar: calendars,
      }),
      config,
      tokens: new Map([[TOKEN.devChen, 'dev-chen']]),
      logger,
      calendars,
      audit: new AuditLog(appPool),
    });
    const response = await broken.request(RELEASES, {
      headers: { ...auth(TOKEN.devChen), 'X-Request-Id': 'audit-500' },
    });
    expect(response.status).toBe(500);
    expect(await entryOf('audit-500')).toMatchObject({
      actor: 'dev-chen',
      action: 'releases.list',
      outcome: 'failed',
      status: 500,
      reason: 'internal: internal error; quote request id audit-500 when reporting it',
    });
  });

  it('answers as usual when the trail cannot be written, and logs that the entry is missing', async () => {
    // The test app's audit trail sits on a pool that throws when touched.
    const setup = await createTestApp();
    const response = await setup.app.request(CALENDAR, {
      headers: { ...auth(TOKENS.devChen), 'X-Request-Id': 'audit-down' },
    });
    expect(response.status).toBe(200);
    expect(setup.logLines.find((line) => line.msg === 'audit entry not recorded')).toMatchObject({
      level: 50,
      requestId: 'audit-down',
      action: 'calendar.read',
      status: 200,
      actor: 'dev-chen',
    });
    expect(setup.rawLog.join('\n')).not.toContain(TOKENS.devChen);
  });
});

describe('GET /api/v1/audit', () => {
  const list = async (query: string, token = TOKEN.adminZhao) => {
    const response = await app.request(`/api/v1/audit${query}`, { headers: auth(token) });
    expect(response.status).toBe(200);
    return (await response.json()) as AuditPageJson;
  };

  it('refuses callers without a token (401) and without the admin role (403), and records both', async () => {
    expect((await call('/api/v1/audit', 'audit-list-401')).status).toBe(401);
    expect((await call('/api/v1/audit', 'audit-list-403', { headers: auth(TOKEN.devChen) })).status).toBe(
      403,
    );
    expect(await entryOf('audit-list-401')).toMatchObject({ action: 'audit.list', actor: null, status: 401 });
    expect(await entryOf('audit-list-403')).toMatchObject({
      action: 'audit.list',
      actor: 'dev-chen',
      status: 403,
    });
  });

  it('lists newest first and filters by actor, action, outcome and target', async () => {
    const all = await list('?limit=500');
    const ids = all.events.map((event) => event.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(all.events.map((event) => event.requestId)).toEqual(
      expect.arrayContaining(['audit-401', 'audit-403', 'audit-400', 'audit-200-calendar', 'audit-409']),
    );
    const pmLi = await list('?actor=pm-li');
    expect(pmLi.events.map((event) => event.requestId)).toEqual(['audit-409', 'audit-403']);
    const starts = await list('?action=releases.start&outcome=refused');
    expect(starts.events.map((event) => event.requestId)).toEqual(['audit-400', 'audit-403']);
    const release = await list('?target=edm-web-regular-1.3.0-aud001');
    expect(release.events).toEqual([
      expect.objectContaining({
        requestId: 'audit-409',
        environment: 'production',
        occurredAt: expect.any(String),
      }),
    ]);
    const allowed = await list('?outcome=allowed');
    expect(allowed.events.every((event) => event.outcome === 'allowed' && event.status === 200)).toBe(true);
  });

  it('filters by time and pages with before', async () => {
    const future = await list(`?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(future.events).toEqual([]);
    const past = await list(`?until=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`);
    expect(past.events).toEqual([]);
    const first = await list('?limit=2');
    expect(first.events).toHaveLength(2);
    expect(first.nextBefore).toBe(first.events[1]?.id);
    const second = await list(`?limit=2&before=${first.nextBefore}`);
    expect(second.events.every((event) => event.id < (first.nextBefore as number))).toBe(true);
    const everything = await list('?limit=500');
    expect(everything.nextBefore).toBeNull();
  });

  it('shows an admin only the entries of environments where they are admin, and those of none', async () => {
    const zhao = await list('?limit=500');
    const qian = await list('?limit=500', TOKEN.adminQian);
    expect(zhao.events.filter((event) => event.environment === 'production').length).toBeGreaterThan(0);
    expect(qian.events.filter((event) => event.environment === 'production')).toEqual([]);
    expect(qian.events.map((event) => event.requestId)).toEqual(
      expect.arrayContaining(['audit-401', 'audit-403']),
    );
  });

  it.each([
    ['?limit=0', 'limit'],
    ['?limit=501', 'limit'],
    ['?outcome=maybe', 'outcome'],
    ['?since=yesterday', 'since'],
    ['?before=-3', 'before'],
    ['?colour=blue', ''],
  ])('answers 400 to %s', async (query, field) => {
    const response = await app.request(`/api/v1/audit${query}`, { headers: auth(TOKEN.adminZhao) });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; issues: { path: string }[] } };
    expect(body.error.code).toBe('invalid_request');
    if (field) expect(body.error.issues.map((issue) => issue.path)).toContain(field);
  });

  it('answers an empty page to until at or before since, which the document cannot refuse', async () => {
    const query = '?since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z';
    const response = await app.request(`/api/v1/audit${query}`, { headers: auth(TOKEN.adminZhao) });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { events: unknown[] }).events).toEqual([]);
  });
});
