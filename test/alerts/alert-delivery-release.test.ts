// A release whose alert channel keeps failing (R-ALERT): the release is not held up while the channel
// is retried, it finishes, and the failure is recorded. The release runs on the time-skipping test
// server with the real activities over a migrated PostgreSQL; the channel is a real local receiver.

import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import type { AlertingSettings } from '../../alerts/alert-message.js';
import { listReleaseAlerts } from '../../alerts/recording-notifier.js';
import { createApp } from '../../api/create-app.js';
import { ReleaseService } from '../../api/release-service.js';
import { ReleaseCalendars } from '../../calendar/release-calendars.js';
import { loadConfig } from '../../config/load-config.js';
import { AuditLog } from '../../db/audit-log.js';
import { insertRelease } from '../../db/release-records.js';
import { createLogger } from '../../logging/logger.js';
import { projectRoot } from '../../stack/temporal-binaries.js';
import { WORKFLOWS_PATH } from '../../worker/create-release-worker.js';
import { decideUpdate, releaseStateQuery } from '../../workflows/release-messages.js';
import type { ReleaseInput, ReleasePlan } from '../../workflows/release-model.js';
import { releaseWorkflowV2 } from '../../workflows/release-workflow.js';
import { type HttpReceiver, startHttpReceiver } from '../support/alert-receivers.js';
import { ALWAYS_OPEN_CALENDAR } from '../support/always-open-calendar.js';
import { type MigratedDatabase, startMigratedDatabase } from '../support/migrated-database.js';
import { claimFor, signedBy, testDecisionKeys } from '../support/signed-decisions.js';
import { authorisedArgs } from '../support/start-authority.js';
import { createTimeSkippingTestEnv } from '../support/temporal-test-env.js';

const RELEASE_ID = 'edm-web-regular-1.3.0-failing-channel';
const DAY_MS = 24 * 60 * 60_000;

/** One guided step that fails, so the release raises a P1 and waits for a person's decision. */
const plan: ReleasePlan = {
  type: 'regular',
  description: 'a smoke test that fails',
  steps: [
    {
      id: 'smoke-test',
      name: 'Smoke test',
      environment: 'test',
      kind: 'command',
      command: { argv: [process.execPath, '-e', 'process.exit(3)'], timeoutMs: 10_000, envFrom: {} },
      maxAttempts: 1,
    },
  ],
  rollback: {
    deciders: { test: [{ identity: 'oncall-zhou', roles: ['deploy'] }] },
    twoPersonEnvironments: [],
    // Open a while after success, so the test sees it succeeded while its alert is still retried.
    afterSuccessMs: 60 * 60_000,
    guidedSteps: ['smoke-test'],
    skippableVerifications: [],
    verification: {},
  },
  oversight: { gateLifetimeMs: 7 * DAY_MS, escalation: { levels: [], repeatEveryMs: 60 * 60_000 } },
};

const quietBundler = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

let db: MigratedDatabase;
let pool: pg.Pool;
let receiver: HttpReceiver;
let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [db, receiver, env, workflowBundle] = await Promise.all([
    startMigratedDatabase(),
    // Each attempt hangs a while, then fails: the release must not wait for it.
    startHttpReceiver({ '/hooks/broken': { status: 500, body: 'internal error', delayMs: 2_500 } }),
    createTimeSkippingTestEnv(),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundler }),
  ]);
  pool = new pg.Pool({ connectionString: db.appUrl, max: 4 });
  // The database stops at teardown: a connection it ends meanwhile must not become an uncaught error.
  pool.on('error', () => {});
});

afterAll(async () => {
  await pool?.end();
  await Promise.all([env?.teardown(), receiver?.close(), db?.stop()]);
});

it('finishes although its channel keeps failing, and records the failure', async () => {
  const alerting: AlertingSettings = {
    alerts: {
      channels: { 'broken-webhook': { type: 'webhook', urlEnv: 'TEST_BROKEN_URL' } },
      routes: { P0: ['broken-webhook'], P1: ['broken-webhook'], P2: [], P3: [] },
      announcements: { services: {} },
      deliveryAttempts: 2,
    },
    contacts: {},
    apiBaseUrl: 'http://localhost:3001',
    temporalWebUrl: 'http://localhost:8233',
    namespace: 'default',
    env: { TEST_BROKEN_URL: `${receiver.url}/hooks/broken` },
  };
  const activities = createActivities({
    pool,
    logger: createLogger('alert-delivery-release', { level: 'silent' }),
    workingDirectory: projectRoot,
    decisionKeys: testDecisionKeys,
    calendar: ALWAYS_OPEN_CALENDAR,
    alerting,
  });
  const input: ReleaseInput = {
    releaseId: RELEASE_ID,
    type: 'regular',
    service: 'edm-web',
    version: '1.3.0',
    requestedBy: 'ops-wang',
    plan,
  };
  await insertRelease(pool, {
    ...input,
    id: RELEASE_ID,
    environments: ['test'],
    temporalUrl: `http://localhost:8233/namespaces/default/workflows/${RELEASE_ID}`,
    workflowType: 'releaseWorkflowV2',
  });
  const taskQueue = 'alert-delivery-release';
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle,
    activities,
  });
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(releaseWorkflowV2, {
      taskQueue,
      workflowId: RELEASE_ID,
      args: authorisedArgs('releaseWorkflowV2', RELEASE_ID, input, new Date(await env.currentTimeMs())),
    });
    const raised = await poll(async () => {
      const state = await handle.query(releaseStateQuery);
      return state.status === 'waiting-decision' ? await waitingDecisionAlert() : undefined;
    });
    expect(raised).toMatchObject({ level: 'P1', kind: 'waiting-decision', stepId: 'smoke-test' });

    // Decided while the channel's first attempt still hangs: the release goes on and succeeds (its
    // rollback window keeps the execution open) before the delivery has even failed once.
    const claim = claimFor(RELEASE_ID, 'oncall-zhou', ['deploy'], 'skip' as never, {
      gateId: 'guided:smoke-test',
      comment: 'known flaky smoke test',
      issuedAt: new Date(await env.currentTimeMs()).toISOString(),
    });
    const verdict = await handle.executeUpdate(decideUpdate, { args: [signedBy(testDecisionKeys, claim)] });
    expect(verdict).toMatchObject({ outcome: 'counted' });
    await poll(async () =>
      (await handle.query(releaseStateQuery)).status === 'succeeded' ? true : undefined,
    );
    expect((await waitingDecisionAlert())?.deliveries).toEqual([]);

    const [failed] = await poll(async () => {
      const alert = await waitingDecisionAlert();
      return alert?.deliveries.length ? alert.deliveries : undefined;
    });
    expect(failed).toMatchObject({
      channel: 'broken-webhook',
      channelType: 'webhook',
      outcome: 'failed',
      attempts: 2,
      error: expect.stringMatching(/answered HTTP 500: internal error/),
    });
    expect(receiver.requests.filter((request) => request.path === '/hooks/broken')).toHaveLength(2);
    expect(await handle.result()).toMatchObject({ status: 'succeeded' });
  });
  const { rows } = await pool.query('SELECT status FROM releases WHERE id = $1', [RELEASE_ID]);
  expect(rows).toEqual([{ status: 'succeeded' }]);

  // The release view shows the alert with what became of it on its channel.
  const response = await (await apiOver(pool)).request(`/api/v1/releases/${RELEASE_ID}`, {
    headers: { Authorization: `Bearer ${READER_TOKEN}` },
  });
  expect(response.status).toBe(200);
  const view = (await response.json()) as {
    alerts: { kind: string; level: string; deliveries: unknown[] }[];
  };
  expect(view.alerts.find((alert) => alert.kind === 'waiting-decision')).toMatchObject({
    level: 'P1',
    deliveries: [
      {
        channel: 'broken-webhook',
        channelType: 'webhook',
        outcome: 'failed',
        attempts: 2,
        error: expect.stringMatching(/HTTP 500/),
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    ],
  });
});

const READER_TOKEN = 'dev-chen-alerts-3f9c0b17e2d4a658';

/** The API over the release records (the release has ended: Temporal is not asked). */
async function apiOver(records: pg.Pool) {
  const config = await loadConfig();
  const logger = createLogger('alert-delivery-api', { level: 'silent' });
  const calendars = new ReleaseCalendars(config);
  const service = new ReleaseService({
    client: env.client,
    pool: records,
    config,
    logger,
    decisionKeys: testDecisionKeys,
    windowCalendar: calendars,
  });
  return createApp({
    service,
    config,
    tokens: new Map([[READER_TOKEN, 'dev-chen']]),
    logger,
    calendars,
    audit: new AuditLog(records),
  });
}

/** Stage changes are announced too (to no channel here); this is the alert routed to the broken one. */
async function waitingDecisionAlert() {
  return (await listReleaseAlerts(pool, RELEASE_ID)).find((alert) => alert.kind === 'waiting-decision');
}

async function poll<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('the release never got there');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
