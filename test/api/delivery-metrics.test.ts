// GET /api/v1/metrics/delivery over real PostgreSQL (R-METRICS): release records written with the
// record functions the workflows use (insertRelease, applyTransition), the metrics the route answers
// for them, its filters, who may ask for which environment, and the queries it refuses. The Temporal
// client is never reached by these requests.
import type { Client } from '@temporalio/client';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/create-app.js';
import { ReleaseService } from '../../api/release-service.js';
import { ReleaseCalendars } from '../../calendar/release-calendars.js';
import { loadConfig } from '../../config/load-config.js';
import { AuditLog } from '../../db/audit-log.js';
import { applyTransition, getRelease, insertRelease } from '../../db/release-records.js';
import { parseDecisionKeys } from '../../security/decision-signature.js';
import type {
  ReleasePlan,
  ReleaseStatus,
  ReleaseType,
  RollbackReport,
  StepRecord,
} from '../../workflows/release-model.js';
import { type MigratedDatabase, startMigratedDatabase } from '../support/migrated-database.js';
import { auth, type ErrorJson } from './api-test-app.js';

const TOKEN = { opsWang: 'ops-wang-metrics-4c9e1a7f2b6d', qaSun: 'qa-sun-metrics-8b2f6d0e3a1c' };
const MINUTE = 60_000;
const DAY = 86_400_000;

/** An unreachable Temporal client: metrics are read from the records alone. */
const unreachableClient = new Proxy(
  {},
  {
    get(_target, property) {
      throw new Error(`the Temporal client touched (${String(property)})`);
    },
  },
) as Client;

let database: MigratedDatabase;
let pool: pg.Pool;
let app: ReturnType<typeof createApp>;

type StepSpec = [
  id: string,
  kind: StepRecord['kind'],
  environment: string,
  status: StepRecord['status'],
  from: number,
  to: number | null,
];

/**
 * A release written as its workflow would: the request's record, then its last transition. Step times
 * are minutes after the record's own creation, so lead times are exact. Returns when it was created.
 */
async function writeRelease(
  id: string,
  fields: {
    type: ReleaseType;
    service: string;
    status: ReleaseStatus;
    steps: StepSpec[];
    rollback?: (minute: (m: number) => string) => RollbackReport;
  },
): Promise<number> {
  const finished = !['running', 'rolling-back'].includes(fields.status);
  await insertRelease(pool, {
    id,
    workflowType: 'releaseWorkflowV2',
    type: fields.type,
    service: fields.service,
    version: '1.4.2',
    requestedBy: 'ops-wang',
    plan: { type: fields.type, description: 'metrics fixture', steps: [] } as unknown as ReleasePlan,
    environments: [...new Set(fields.steps.map(([, , environment]) => environment))],
    temporalUrl: 'http://localhost:8233',
  });
  const created = (await getRelease(pool, id))?.createdAt.getTime() ?? Number.NaN;
  const minute = (m: number) => new Date(created + m * MINUTE).toISOString();
  await applyTransition(pool, {
    releaseId: id,
    seq: 1,
    status: fields.status,
    currentStep: null,
    environment: null,
    failure: null,
    pendingGate: null,
    rollbackPlan: [],
    holdsLock: !finished,
    finished,
    ...(fields.rollback ? { rollback: fields.rollback(minute) } : {}),
    steps: fields.steps.map(([stepId, kind, environment, status, from, to]) => ({
      id: stepId,
      name: stepId,
      kind,
      environment,
      status,
      startedAt: minute(from),
      ...(to === null ? {} : { finishedAt: minute(to) }),
    })),
    decisions: [],
  });
  return created;
}

/** The window every query names: one week, so a frequency is a count. */
let window: { from: string; to: string };

beforeAll(async () => {
  database = await startMigratedDatabase();
  pool = new pg.Pool({ connectionString: database.appUrl, max: 3 });
  pool.on('error', () => {});
  const config = await loadConfig();
  const logger = pino({ level: 'silent' });
  const calendars = new ReleaseCalendars(config);
  const service = new ReleaseService({
    client: unreachableClient,
    pool,
    config,
    logger,
    decisionKeys: parseDecisionKeys(`test:${Buffer.alloc(32, 7).toString('base64url')}`, 'test keys'),
    windowCalendar: calendars,
  });
  app = createApp({
    service,
    config,
    tokens: new Map([
      [TOKEN.opsWang, 'ops-wang'],
      [TOKEN.qaSun, 'qa-sun'],
    ]),
    logger,
    calendars,
    audit: new AuditLog(pool),
  });

  // Succeeded: TEST 10–20, PROD deploy 60–70, verified 70–80: deployment time 20 min, lead 80 min.
  const first = await writeRelease('edm-web-regular-succeeded', {
    type: 'regular',
    service: 'edm-web',
    status: 'succeeded',
    steps: [
      ['deploy-test', 'deploy', 'test', 'succeeded', 10, 20],
      ['deploy-production', 'deploy', 'production', 'succeeded', 60, 70],
      ['verify-production', 'verify', 'production', 'succeeded', 70, 80],
    ],
  });
  // A hotfix rolled back by its bake at 30: undone 30–32, the rollback verified at 35 (5 min to restore).
  await writeRelease('edm-web-hotfix-rolled-back', {
    type: 'hotfix',
    service: 'edm-web',
    status: 'rolled-back',
    steps: [
      ['deploy-production', 'deploy', 'production', 'succeeded', 10, 20],
      ['bake-production', 'bake', 'production', 'failed', 20, 30],
      ['undo-deploy-production', 'compensation', 'production', 'compensated', 30, 32],
    ],
    rollback: (minute) => ({
      cause: 'automatic',
      environment: 'production',
      reason: 'error rate 9 % over 5 %',
      orderedBy: [],
      startedAt: minute(30),
      finishedAt: minute(35),
      durationMs: 5 * MINUTE,
      verification: [{ environment: 'production', passed: true, items: [] }],
    }),
  });
  // Still verifying production: in flight.
  await writeRelease('edm-sender-regular-running', {
    type: 'regular',
    service: 'edm-sender',
    status: 'running',
    steps: [
      ['deploy-production', 'deploy', 'production', 'succeeded', 5, 10],
      ['verify-production', 'verify', 'production', 'running', 10, null],
    ],
  });
  const to = first + DAY;
  window = { from: new Date(to - 7 * DAY).toISOString(), to: new Date(to).toISOString() };
});

afterAll(async () => {
  await pool?.end();
  await database?.stop();
});

const get = (query: Record<string, string>, token = TOKEN.opsWang) =>
  app.request(`/api/v1/metrics/delivery?${new URLSearchParams(query)}`, { headers: auth(token) });

interface MetricJson {
  key: string;
  value: number | null;
  met: boolean | null;
  sample: number;
}
interface MetricsJson {
  from: string;
  to: string;
  service: string | null;
  type: string | null;
  environment: string;
  metrics: MetricJson[];
}

async function metricsOf(query: Record<string, string>, token?: string) {
  const response = await get({ ...window, ...query }, token);
  expect(response.status).toBe(200);
  const body = (await response.json()) as MetricsJson;
  return Object.fromEntries(
    body.metrics.map((metric) => [metric.key, [metric.value, metric.sample, metric.met]]),
  );
}

describe('GET /api/v1/metrics/delivery', () => {
  it('answers production’s metrics against the seed’s targets, leaving the release in flight out', async () => {
    const response = await get(window);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      ...window,
      service: null,
      type: null,
      environment: 'production',
      metrics: [
        {
          key: 'deploymentFrequency',
          label: 'Deployment frequency',
          value: 1,
          unit: 'per-week',
          target: { op: '>=', value: 2 },
          met: false,
          sample: 1,
        },
        {
          key: 'successRate',
          label: 'Deployment success rate',
          value: 0.5,
          unit: 'ratio',
          target: { op: '>', value: 0.95 },
          met: false,
          sample: 2,
        },
        {
          key: 'averageDeploymentTime',
          label: 'Average deployment time',
          value: 1200,
          unit: 'seconds',
          target: { op: '<', value: 1800 },
          met: true,
          sample: 1,
        },
        {
          key: 'rollbackRate',
          label: 'Rollback rate',
          value: 0.5,
          unit: 'ratio',
          target: { op: '<', value: 0.05 },
          met: false,
          sample: 2,
        },
        {
          key: 'changeFailureRate',
          label: 'Change failure rate',
          value: 0.5,
          unit: 'ratio',
          target: null,
          met: null,
          sample: 2,
        },
        {
          key: 'meanTimeToRestore',
          label: 'Mean time to restore',
          value: 300,
          unit: 'seconds',
          target: { op: '<', value: 7200 },
          met: true,
          sample: 1,
        },
        {
          key: 'leadTime',
          label: 'Lead time',
          value: 4800,
          unit: 'seconds',
          target: null,
          met: null,
          sample: 1,
        },
      ],
    });
  });

  it('filters by type, by service and by environment', async () => {
    expect(await metricsOf({ type: 'hotfix' })).toMatchObject({
      deploymentFrequency: [0, 0, false],
      successRate: [0, 1, false],
      rollbackRate: [1, 1, false],
      meanTimeToRestore: [300, 1, true],
      leadTime: [null, 0, null],
    });
    // edm-sender's only release is still running: nothing finished to measure.
    expect(await metricsOf({ service: 'edm-sender' })).toMatchObject({
      deploymentFrequency: [0, 0, false],
      successRate: [null, 0, null],
      averageDeploymentTime: [null, 0, null],
    });
    expect(await metricsOf({ environment: 'test' })).toEqual({
      deploymentFrequency: [1, 1, false],
      successRate: [1, 1, true],
      averageDeploymentTime: [600, 1, true],
      rollbackRate: [0, 1, true],
      changeFailureRate: [0, 1, null],
      meanTimeToRestore: [null, 0, null],
      leadTime: [1200, 1, null],
    });
  });

  it('echoes the filters and, without from and to, measures the four weeks up to now', async () => {
    const before = Date.now();
    const response = await get({ service: 'edm-web', type: 'regular', environment: 'test' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as MetricsJson;
    expect(body).toMatchObject({ service: 'edm-web', type: 'regular', environment: 'test' });
    expect(Date.parse(body.to)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(body.to)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(28 * DAY);
  });

  it('answers only environments the caller reads: qa-sun reads TEST, not production', async () => {
    expect((await metricsOf({ environment: 'test' }, TOKEN.qaSun)).successRate).toEqual([1, 1, true]);
    const production: Record<string, string>[] = [{}, { environment: 'production' }];
    for (const query of production) {
      const response = await get(query, TOKEN.qaSun);
      expect(response.status).toBe(403);
      expect(((await response.json()) as ErrorJson).error).toEqual({
        code: 'forbidden',
        message: 'qa-sun cannot read production',
      });
    }
  });

  it('answers 404 for an environment that is not configured', async () => {
    const response = await get({ environment: 'prod' });
    expect(response.status).toBe(404);
    expect(((await response.json()) as ErrorJson).error.message).toBe('no environment prod');
  });

  it('refuses malformed queries with 400, naming the field', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ from: 'yesterday' }, 'from'],
      [{ to: '2026-02-30T00:00:00Z' }, 'to'],
      [{ type: 'weekly' }, 'type'],
      [{ service: 'EDM web' }, 'service'],
      [{ environment: 'Production' }, 'environment'],
      [{ since: '2026-11-01T00:00:00Z' }, 'since'],
    ];
    for (const [query, field] of cases) {
      const response = await get(query);
      expect(response.status, JSON.stringify(query)).toBe(400);
      const { error } = (await response.json()) as ErrorJson;
      expect(error.code).toBe('invalid_request');
      expect(error.issues?.map((issue) => issue.path)).toEqual([field]);
    }
  });

  it('refuses a window that is empty or longer than 366 days with 422', async () => {
    const cases: [Record<string, string>, string][] = [
      [
        { from: '2026-11-02T00:00:00Z', to: '2026-11-02T00:00:00Z' },
        'expected from before to: 2026-11-02T00:00:00.000Z is not before 2026-11-02T00:00:00.000Z',
      ],
      [
        { from: '2026-11-03T00:00:00+08:00', to: '2026-11-02T00:00:00Z' },
        'expected from before to: 2026-11-02T16:00:00.000Z is not before 2026-11-02T00:00:00.000Z',
      ],
      [
        { from: '2025-01-01T00:00:00Z', to: '2026-01-03T00:00:00Z' },
        'expected at most 366 days between from and to',
      ],
    ];
    for (const [query, message] of cases) {
      const response = await get(query);
      expect(response.status, JSON.stringify(query)).toBe(422);
      expect(((await response.json()) as ErrorJson).error).toEqual({ code: 'unprocessable', message });
    }
  });
});
