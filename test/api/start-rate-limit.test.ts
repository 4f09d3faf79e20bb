// R-INPUT: release starts are rate-limited per identity, over a real PostgreSQL (the service lock)
// and a real Temporal dev server (no worker: a started release simply waits for one). The limit is
// a burst of one here, on a clock the test moves, so every answer is exact.
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/create-app.js';
import { ReleaseService } from '../../api/release-service.js';
import type { ServiceTargets } from '../../api/services/target-inspection.js';
import { ReleaseCalendars } from '../../calendar/release-calendars.js';
import { loadConfig } from '../../config/load-config.js';
import { AuditLog } from '../../db/audit-log.js';
import { createPool } from '../../db/create-pool.js';
import { parseDecisionKeys } from '../../security/decision-signature.js';
import { RUNWAY_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { type MigratedDatabase, startMigratedDatabase } from '../support/migrated-database.js';
import {
  createDevServerTestEnv,
  type DevServerTestEnv,
  quietTemporalRuntime,
} from '../support/temporal-test-env.js';
import { type ErrorJson, jsonAuth, TOKENS } from './api-test-app.js';

let database: MigratedDatabase | undefined;
let temporal: DevServerTestEnv | undefined;
let pool: pg.Pool | undefined;
let client: Client;
let app: ReturnType<typeof createApp>;
const clock = { now: 0 };

beforeAll(async () => {
  quietTemporalRuntime();
  [database, temporal] = await Promise.all([
    startMigratedDatabase(),
    createDevServerTestEnv(RUNWAY_SEARCH_ATTRIBUTES),
  ]);
  // The project's pool: a connection the server ends while the suite stops is logged, not thrown.
  pool = createPool(database.appUrl, pino({ level: 'silent' }), 4);
  client = temporal.env.client;
  const config = await loadConfig();
  config.settings.api.startRateLimit = { burst: 1, perMinute: 1 };
  config.settings.temporal.taskQueue = 'runway-rate-limit-test';
  const logger = pino({ level: 'silent' });
  const calendars = new ReleaseCalendars(config);
  const service = new ReleaseService({
    client,
    pool,
    config,
    logger,
    decisionKeys: parseDecisionKeys(`test:${Buffer.alloc(32, 7).toString('base64url')}`, 'test keys'),
    windowCalendar: calendars,
    clock: () => clock.now,
    // No worker runs here: production is a first deploy, so every version is allowed (R-SEMVER).
    targets: nothingDeployedYet,
  });
  const tokens = new Map([[TOKENS.opsWang, 'ops-wang']]);
  app = createApp({ service, config, tokens, logger, calendars, audit: new AuditLog(pool) });
}, 120_000);

const nothingDeployedYet: ServiceTargets = {
  inspect: async (service, environment) => ({
    service,
    environment,
    strategy: 'blue-green',
    version: null,
    inspection: { strategy: 'blue-green', activeColour: null, colours: { blue: null, green: null } },
  }),
  deployedBy: async () => undefined,
};

afterAll(async () => {
  await pool?.end();
  await Promise.all([temporal?.teardown(), database?.stop()]);
});

const start = async (body: Record<string, unknown> = {}) => {
  const response = await app.request('/api/v1/releases', {
    method: 'POST',
    headers: jsonAuth(TOKENS.opsWang),
    body: JSON.stringify({ type: 'regular', service: 'edm-web', version: '1.4.2', ...body }),
  });
  return { response, body: (await response.json()) as ErrorJson & { id?: string } };
};

const releaseCount = async () =>
  Number((await (pool as pg.Pool).query('SELECT count(*) AS n FROM releases')).rows[0].n);

describe('the start rate limit', () => {
  let firstId: string;

  it('lets the first start through', async () => {
    const { response, body } = await start();
    expect(response.status).toBe(201);
    firstId = body.id as string;
    expect(firstId).toMatch(/^edm-web-regular-1\.4\.2-/);
  });

  it('answers 409 to a start the service lock refuses, before the limiter and without spending a start', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const { response, body } = await start({ version: '1.4.3' });
      expect(response.status).toBe(409);
      expect(body.error.activeReleaseId).toBe(firstId);
    }
  });

  it('does not limit dry runs', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await start({ dryRun: true })).response.status).toBe(200);
    }
  });

  it('answers 429 with Retry-After and a JSON error once the budget is spent, leaving no record', async () => {
    // The first release ends outside Runway: the lock is free again, but the budget is not.
    await client.workflow.getHandle(firstId).terminate('the rate-limit test frees the service');
    const before = await releaseCount();
    const { response, body } = await start({ version: '1.4.4' });
    expect(response.status).toBe(429);
    expect(response.headers.get('Retry-After')).toBe('60');
    expect(response.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(body.error).toEqual({
      code: 'too_many_requests',
      message: 'ops-wang started too many releases: at most 1 at once and 1 a minute; retry in 60 s',
    });
    // Refused before the lock: no record was inserted, so no workflow can have been started for it.
    expect(await releaseCount()).toBe(before);
  });

  it('lets a start through again once Retry-After has passed', async () => {
    clock.now += 60_000;
    const { response, body } = await start({ version: '1.4.4' });
    expect(response.status).toBe(201);
    await client.workflow.getHandle(body.id as string).terminate('the rate-limit test is done');
  });
});
