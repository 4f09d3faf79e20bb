// Alert channels against real local receivers (R-ALERT): an HTTP server for the generic webhook, the
// WeCom robot and the Slack hook, an SMTP server for mail. The delivery activity runs as Temporal
// would run it (its attempt number from the activity context) against a migrated PostgreSQL.
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityDeps } from '../../activities/activity-deps.js';
import { createAlertActivities, type DeliveryRequest } from '../../activities/alert-activities.js';
import type { AlertingSettings } from '../../alerts/alert-message.js';
import type { ReleaseAlert } from '../../alerts/notifier.js';
import { listReleaseAlerts } from '../../alerts/recording-notifier.js';
import { insertRelease } from '../../db/release-records.js';
import { createLogger } from '../../logging/logger.js';
import { getFreePort } from '../../stack/free-port.js';
import type { ReleasePlan } from '../../workflows/release-model.js';
import {
  type HttpReceiver,
  type SmtpReceiver,
  startHttpReceiver,
  startSmtpReceiver,
} from '../support/alert-receivers.js';
import { ALWAYS_OPEN_CALENDAR } from '../support/always-open-calendar.js';
import { type MigratedDatabase, startMigratedDatabase } from '../support/migrated-database.js';
import { testDecisionKeys } from '../support/signed-decisions.js';

const RELEASE_ID = 'edm-web-regular-1.2.0-alerts';
/** The WeCom robot's key sits in its URL's query: it must never show in an error or a record. */
const ROBOT_KEY = 'robot-key-7c1f0e9a';
const SLACK_SECRET = 'T000/B000/slack-secret-55aa';
const RELEASE_LINK = `https://runway.example.com/api/v1/releases/${RELEASE_ID}`;
const TEMPORAL_LINK = `http://localhost:8233/namespaces/default/workflows/${RELEASE_ID}`;

const alert: ReleaseAlert = {
  key: 'compensation-failed:deploy-production',
  level: 'P0',
  kind: 'compensation-failed',
  releaseId: RELEASE_ID,
  service: 'edm-web',
  stepId: 'deploy-production',
  environment: 'production',
  message: 'edm-web 1.2.0: switching traffic back failed in production',
  details: { reason: 'switch exited with 3: traffic is on green, not blue' },
  audience: ['oncall-zhou', 'tl-zhang'],
};

let db: MigratedDatabase;
let pool: pg.Pool;
let http: HttpReceiver;
let smtp: SmtpReceiver;
let activities: ReturnType<typeof createAlertActivities>;
let settings: AlertingSettings;

beforeAll(async () => {
  [db, http, smtp] = await Promise.all([
    startMigratedDatabase(),
    startHttpReceiver({
      '/hooks/runway': { status: 204, body: '' },
      '/cgi-bin/webhook/send': { status: 200, body: '{"errcode":0,"errmsg":"ok"}' },
      [`/services/${SLACK_SECRET}`]: { status: 200, body: 'ok' },
      '/hooks/broken': { status: 500, body: 'internal error' },
      '/cgi-bin/webhook/refusing': { status: 200, body: '{"errcode":93000,"errmsg":"invalid webhook url"}' },
    }),
    startSmtpReceiver(),
  ]);
  pool = new pg.Pool({ connectionString: db.appUrl, max: 2 });
  // The database stops at teardown: a connection it ends meanwhile must not become an uncaught error.
  pool.on('error', () => {});
  await insertRelease(pool, {
    id: RELEASE_ID,
    type: 'regular',
    service: 'edm-web',
    version: '1.2.0',
    requestedBy: 'ops-wang',
    plan: { steps: [] } as unknown as ReleasePlan,
    environments: ['production'],
    temporalUrl: TEMPORAL_LINK,
    workflowType: 'releaseWorkflowV2',
  });
  const closedPort = await getFreePort();
  settings = {
    alerts: {
      channels: {
        'ops-webhook': { type: 'webhook', urlEnv: 'TEST_WEBHOOK_URL' },
        'oncall-wecom': { type: 'wecom', urlEnv: 'TEST_WECOM_URL' },
        'releases-slack': { type: 'slack', urlEnv: 'TEST_SLACK_URL' },
        'ops-mail': {
          type: 'email',
          smtp: { host: smtp.host, port: smtp.port, secure: false },
          from: 'runway@example.com',
          to: ['ops@example.com'],
        },
        'broken-webhook': { type: 'webhook', urlEnv: 'TEST_BROKEN_URL' },
        'refusing-wecom': { type: 'wecom', urlEnv: 'TEST_REFUSING_WECOM_URL' },
        'closed-slack': { type: 'slack', urlEnv: 'TEST_CLOSED_URL' },
        'unset-webhook': { type: 'webhook', urlEnv: 'TEST_UNSET_URL' },
      },
      routes: {
        P0: ['ops-webhook', 'oncall-wecom', 'releases-slack', 'ops-mail'],
        P1: ['oncall-wecom'],
        P2: ['ops-mail'],
        P3: ['ops-mail'],
      },
      announcements: { default: 'releases-slack', services: {} },
      deliveryAttempts: 3,
    },
    contacts: {
      'oncall-zhou': { email: 'zhou@example.com', wecomUserId: 'ZhouWei' },
      'tl-zhang': { wecomUserId: 'ZhangSan' },
    },
    apiBaseUrl: 'https://runway.example.com',
    temporalWebUrl: 'http://localhost:8233',
    namespace: 'default',
    env: {
      TEST_WEBHOOK_URL: `${http.url}/hooks/runway`,
      TEST_WECOM_URL: `${http.url}/cgi-bin/webhook/send?key=${ROBOT_KEY}`,
      TEST_SLACK_URL: `${http.url}/services/${SLACK_SECRET}`,
      TEST_BROKEN_URL: `${http.url}/hooks/broken`,
      TEST_REFUSING_WECOM_URL: `${http.url}/cgi-bin/webhook/refusing?key=${ROBOT_KEY}`,
      TEST_CLOSED_URL: `http://127.0.0.1:${closedPort}/services/${SLACK_SECRET}`,
    },
  };
  const deps: ActivityDeps = {
    pool,
    logger: createLogger('alert-channels', { level: 'silent' }),
    workingDirectory: process.cwd(),
    decisionKeys: testDecisionKeys,
    calendar: ALWAYS_OPEN_CALENDAR,
    alerting: settings,
  };
  activities = createAlertActivities(deps);
});

afterAll(async () => {
  await pool?.end();
  await Promise.all([http?.close(), smtp?.close(), db?.stop()]);
});

/** The delivery activity at the given attempt, as Temporal's retry would run it. */
function deliver(channel: string, attempt: number, attempts = 3) {
  const request: DeliveryRequest = { releaseId: RELEASE_ID, key: alert.key, channel, attempts };
  return new MockActivityEnvironment({ attempt }, { logger: new DefaultLogger('ERROR') }).run(
    activities.deliverAlert,
    request,
  );
}

const received = (path: string) => http.requests.filter((request) => request.path === path);

async function deliveriesOf(channel: string) {
  const [recorded] = (await listReleaseAlerts(pool, RELEASE_ID)).filter((item) => item.key === alert.key);
  return recorded?.deliveries.filter((delivery) => delivery.channel === channel) ?? [];
}

describe('raising an alert', () => {
  it('records it once and answers with the channels of its level', async () => {
    expect(await activities.raiseAlert(alert)).toEqual({
      channels: ['ops-webhook', 'oncall-wecom', 'releases-slack', 'ops-mail'],
      attempts: 3,
    });
    expect(await activities.raiseAlert(alert)).toMatchObject({ channels: expect.any(Array) });
    const recorded = await listReleaseAlerts(pool, RELEASE_ID);
    expect(recorded.map((item) => [item.key, item.audience])).toEqual([
      [alert.key, ['oncall-zhou', 'tl-zhang']],
    ]);
  });

  it("routes a stage change only to the release's channel", async () => {
    const stage = { ...alert, key: 'stage:1:running', level: 'P3' as const, kind: 'stage-changed' as const };
    expect(await activities.raiseAlert(stage)).toEqual({ channels: ['releases-slack'], attempts: 3 });
  });
});

describe('the channels, field by field', () => {
  it("posts Runway's own JSON document to the generic webhook", async () => {
    expect(await deliver('ops-webhook', 1)).toEqual({ delivered: true });
    const [request] = received('/hooks/runway');
    const [recorded] = await listReleaseAlerts(pool, RELEASE_ID);
    expect(request?.method).toBe('POST');
    expect(request?.contentType).toMatch(/^application\/json/);
    expect(request?.body).toEqual({
      level: 'P0',
      levelName: 'critical',
      responseMinutes: 5,
      kind: 'compensation-failed',
      releaseId: RELEASE_ID,
      service: 'edm-web',
      version: '1.2.0',
      step: 'deploy-production',
      environment: 'production',
      message: alert.message,
      reason: 'switch exited with 3: traffic is on green, not blue',
      links: { release: RELEASE_LINK, temporal: TEMPORAL_LINK },
      audience: [
        { identity: 'oncall-zhou', email: 'zhou@example.com', wecomUserId: 'ZhouWei' },
        { identity: 'tl-zhang', email: null, wecomUserId: 'ZhangSan' },
      ],
      at: recorded?.raisedAt.toISOString(),
    });
    expect(await deliveriesOf('ops-webhook')).toMatchObject([
      { channelType: 'webhook', outcome: 'delivered', attempts: 1, error: null },
    ]);
  });

  it("sends the WeCom robot a markdown message that mentions the audience's WeCom ids", async () => {
    expect(await deliver('oncall-wecom', 1)).toEqual({ delivered: true });
    const [request] = received('/cgi-bin/webhook/send');
    expect(request?.query).toEqual({ key: ROBOT_KEY });
    const body = request?.body as { msgtype: string; markdown: { content: string } };
    expect(Object.keys(body)).toEqual(['msgtype', 'markdown']);
    expect(body.msgtype).toBe('markdown');
    const lines = body.markdown.content.split('\n');
    expect(lines[0]).toBe(`**[P0] edm-web compensation-failed: ${alert.message}**`);
    expect(lines).toEqual(
      expect.arrayContaining([
        '> Level: <font color="warning">P0 (critical, respond within 5 min)</font>',
        `> Release: ${RELEASE_ID}`,
        '> Service: edm-web 1.2.0',
        '> Step: deploy-production',
        '> Environment: production',
        '> Reason: switch exited with 3: traffic is on green, not blue',
        `[Release (API)](${RELEASE_LINK})  [Temporal Web](${TEMPORAL_LINK})`,
        '<@ZhouWei> <@ZhangSan>',
      ]),
    );
    expect(await deliveriesOf('oncall-wecom')).toMatchObject([
      { channelType: 'wecom', outcome: 'delivered' },
    ]);
  });

  it('sends the Slack hook a text fallback and a section block', async () => {
    expect(await deliver('releases-slack', 1)).toEqual({ delivered: true });
    const [request] = received(`/services/${SLACK_SECRET}`);
    const body = request?.body as {
      text: string;
      blocks: { type: string; text: { type: string; text: string } }[];
    };
    expect(Object.keys(body)).toEqual(['text', 'blocks']);
    expect(body.text.split('\n')).toEqual([
      `[P0] edm-web compensation-failed: ${alert.message}`,
      'Level: P0 (critical, respond within 5 min)',
      `Release: ${RELEASE_ID}`,
      'Service: edm-web 1.2.0',
      'Step: deploy-production',
      'Environment: production',
      'Reason: switch exited with 3: traffic is on green, not blue',
      `Release (API): ${RELEASE_LINK}`,
      `Temporal Web: ${TEMPORAL_LINK}`,
      `At: ${(await listReleaseAlerts(pool, RELEASE_ID))[0]?.raisedAt.toISOString()}`,
      'For: oncall-zhou, tl-zhang',
    ]);
    expect(body.blocks).toHaveLength(1);
    expect(body.blocks[0]?.type).toBe('section');
    expect(body.blocks[0]?.text.type).toBe('mrkdwn');
    const section = body.blocks[0]?.text.text.split('\n') ?? [];
    expect(section).toEqual(
      expect.arrayContaining([
        `*[P0] edm-web compensation-failed: ${alert.message}*`,
        '*Level:* P0 (critical, respond within 5 min)',
        `*Release:* ${RELEASE_ID}`,
        '*Step:* deploy-production',
        '*Reason:* switch exited with 3: traffic is on green, not blue',
        `<${RELEASE_LINK}|Release (API)> · <${TEMPORAL_LINK}|Temporal Web>`,
      ]),
    );
  });

  it("mails the channel's addresses and the audience's, with the fields and links", async () => {
    expect(await deliver('ops-mail', 1)).toEqual({ delivered: true });
    expect(smtp.mails).toHaveLength(1);
    const [{ from, recipients, mail }] = smtp.mails as [(typeof smtp.mails)[number]];
    expect(from).toBe('runway@example.com');
    expect(recipients).toEqual(['ops@example.com', 'zhou@example.com']);
    expect(mail.subject).toBe(`[P0] edm-web compensation-failed: ${alert.message}`);
    const lines = (mail.text ?? '').split('\n');
    expect(lines[0]).toBe(alert.message);
    expect(lines).toEqual(
      expect.arrayContaining([
        'Level: P0 (critical, respond within 5 min)',
        `Release: ${RELEASE_ID}`,
        'Service: edm-web 1.2.0',
        'Step: deploy-production',
        'Environment: production',
        'Reason: switch exited with 3: traffic is on green, not blue',
        `Release (API): ${RELEASE_LINK}`,
        `Temporal Web: ${TEMPORAL_LINK}`,
        'For: oncall-zhou, tl-zhang',
        'Kind: compensation-failed',
      ]),
    );
    expect(await deliveriesOf('ops-mail')).toMatchObject([{ channelType: 'email', outcome: 'delivered' }]);
  });
});

describe('a channel that keeps failing', () => {
  it.each([
    ['broken-webhook', 'webhook', /answered HTTP 500: internal error/],
    ['refusing-wecom', 'wecom', /WeCom robot refused the message: errcode 93000 \(invalid webhook url\)/],
    ['closed-slack', 'slack', /POST to http:\/\/127\.0\.0\.1:\d+ failed: .*ECONNREFUSED/],
    ['unset-webhook', 'webhook', /the worker's environment has no TEST_UNSET_URL; set it/],
  ])(
    '%s: throws until the last attempt, then records the failure and answers delivered:false',
    async (channel, type, reason) => {
      for (const attempt of [1, 2]) {
        const failure = await deliver(channel, attempt).then(
          () => undefined,
          (error: Error) => error,
        );
        expect(failure?.name).toBe('AlertNotDelivered');
        expect(failure?.message).toMatch(reason);
        expect(failure?.message).not.toContain(ROBOT_KEY);
        expect(failure?.message).not.toContain('slack-secret');
        expect(await deliveriesOf(channel)).toEqual([]);
      }
      const last = await deliver(channel, 3);
      expect(last).toEqual({ delivered: false, error: expect.stringMatching(reason) });
      const recorded = await deliveriesOf(channel);
      expect(recorded).toMatchObject([
        { channelType: type, outcome: 'failed', attempts: 3, error: expect.stringMatching(reason) },
      ]);
      expect(recorded[0]?.error).not.toContain(ROBOT_KEY);
      // A retried last attempt records nothing more.
      expect(await deliver(channel, 3)).toMatchObject({ delivered: false });
      expect(await deliveriesOf(channel)).toHaveLength(1);
    },
  );

  it('keeps deliveries as facts: the application may add and read them, never change one', async () => {
    for (const sql of [
      "UPDATE release_alert_deliveries SET outcome = 'delivered'",
      'DELETE FROM release_alert_deliveries',
      'TRUNCATE release_alert_deliveries',
    ]) {
      await expect(pool.query(sql)).rejects.toMatchObject({ code: '42501' });
    }
  });

  it('gives up on a receiver that never answers within the send timeout', async () => {
    http.answers['/hooks/hanging'] = { status: 200, body: '', delayMs: 5_000 };
    settings.alerts.channels['hanging-webhook'] = { type: 'webhook', urlEnv: 'TEST_HANGING_URL' };
    settings.env.TEST_HANGING_URL = `${http.url}/hooks/hanging`;
    settings.sendTimeoutMs = 300;
    const started = Date.now();
    try {
      expect(await deliver('hanging-webhook', 1, 1)).toEqual({
        delivered: false,
        error: expect.stringMatching(/no answer within 300 ms/),
      });
    } finally {
      settings.sendTimeoutMs = undefined;
    }
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
