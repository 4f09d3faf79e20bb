// Runway's metrics as Prometheus sees them: a real Prometheus scrapes the API's and the worker's
// /metrics of a real stack while a hotfix goes through (a dry run, a start, an SLA passed at its
// approval, a failed alert delivery, an ordered rollback and its verification), scraped every 3 s as
// the API's and the worker's /metrics may take 2 s on a loaded machine. Then the series and
// their labels are checked, and every recording rule, alerting rule and dashboard panel query of
// deploy/ is evaluated against that Prometheus.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { UNMATCHED_ROUTE } from '../../api/middleware/request-durations.js';
import { installTemporalRuntime } from '../../metrics/temporal-sdk-metrics.js';
import { getFreePort } from '../../stack/free-port.js';
import { projectRoot } from '../../stack/temporal-binaries.js';
import { releaseApi } from '../support/release-api.js';
import { releaseWorkflowBundle } from '../support/release-workflow-bundle.js';
import { startTestStack, type TestStack } from '../support/runway-stack.js';
import { dashboardQueries } from './support/dashboard-queries.js';
import { MIN_SCRAPE_SECONDS, type RunningPrometheus, startPrometheus } from './support/prometheus-server.js';

const RULES_DIR = join(projectRoot, 'deploy/prometheus/rules');
const DASHBOARD = join(projectRoot, 'deploy/grafana/dashboards/runway-delivery.json');
const WEBHOOK_ENV = 'RUNWAY_METRICS_TEST_WEBHOOK_URL';
/** How long a wait for what Prometheus sees may take: many scrapes and rule evaluations, on a loaded machine. */
const SEEN_WITHIN_MS = 60_000;

/** Deploys on TEST, then waits at a production approval: a hotfix in seconds, with something to undo. */
const HOTFIX = `type: hotfix
description: "TEST, then an approval, for the metrics test."
steps:
  - { id: deploy-test, kind: deploy, environment: test }
  - { id: hotfix-approval, kind: approval, environment: production, quorum: [tech-lead] }
`;

let stack: TestStack;
let prometheus: RunningPrometheus;
let runbookDir: string;
let releaseId: string;
const savedWebhook = process.env[WEBHOOK_ENV];

const hostPort = (url: string) => new URL(url).host;
const ruleFiles = () =>
  readdirSync(RULES_DIR)
    .filter((file) => file.endsWith('.yml'))
    .map((file) => join(RULES_DIR, file));

beforeAll(async () => {
  // The test setup installed a Runtime without metrics, before anything used it: the worker's
  // /metrics gets the SDK's only from a Runtime installed as worker/main.ts installs it.
  await Runtime.instance().shutdown();
  await installTemporalRuntime({ logger: new DefaultLogger('WARN') });
  // A webhook nobody listens on: every delivery to it fails.
  process.env[WEBHOOK_ENV] = `http://127.0.0.1:${await getFreePort()}/hook`;
  runbookDir = await mkdtemp(join(tmpdir(), 'runway-metrics-runbooks-'));
  await writeFile(join(runbookDir, 'hotfix.yml'), HOTFIX);
  stack = await startTestStack(await releaseWorkflowBundle(), {
    runbookDir,
    configure: (config) => {
      // Past its SLA within a second, while it waits at its approval.
      config.settings.releases.sla.hotfix = { minutes: 0.01, level: 'P1' };
      config.settings.alerts = {
        ...config.settings.alerts,
        channels: { 'ops-webhook': { type: 'webhook', urlEnv: WEBHOOK_ENV } },
        routes: { P0: ['ops-webhook'], P1: ['ops-webhook'], P2: [], P3: [] },
        deliveryAttempts: 1,
      };
    },
  });
  prometheus = await startPrometheus({
    intervalSeconds: MIN_SCRAPE_SECONDS,
    ruleFiles: ruleFiles(),
    jobs: [
      { name: 'runway-api', targets: [hostPort(stack.runway.metricsUrls.api)] },
      { name: 'runway-worker', targets: [hostPort(stack.runway.metricsUrls.worker)] },
    ],
  });
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  await stack?.stop();
  if (runbookDir) await rm(runbookDir, { recursive: true, force: true });
  if (savedWebhook === undefined) delete process.env[WEBHOOK_ENV];
  else process.env[WEBHOOK_ENV] = savedWebhook;
}, 60_000);

const { api, waitForStatus } = releaseApi(() => stack);

describe('a release seen through Prometheus', () => {
  it('scrapes the API and the worker, and counts a hotfix from its start to its verified rollback', async () => {
    await prometheus.until(
      () => `both targets up: ${prometheus.output()}`,
      SEEN_WITHIN_MS,
      async () => (await prometheus.value('count(up{job=~"runway-api|runway-worker"} == 1)')) === 2,
    );
    const request = { type: 'hotfix', service: 'edm-web', version: '1.0.1' };
    const dryRun = await api('POST', '/releases', 'ops-wang', { ...request, dryRun: true });
    expect(dryRun.status, JSON.stringify(dryRun.body)).toBe(200);
    const started = await api('POST', '/releases', 'ops-wang', request);
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    releaseId = started.body.id as string;
    await waitForStatus(releaseId, ['awaiting-approval']);
    await prometheus.until(
      () => 'the release past its SLA, as the API counts it',
      SEEN_WITHIN_MS,
      async () =>
        (await prometheus.value('max(runway_releases_past_sla{service="edm-web",level="P1"})')) === 1,
    );
    const ordered = await api('POST', `/releases/${releaseId}/rollback`, 'ops-wang', {
      reason: 'metrics test',
    });
    expect(ordered.status, JSON.stringify(ordered.body)).toBe(202);
    const done = await waitForStatus(releaseId, ['rolled-back', 'failed'], 60_000);
    expect(done.status).toBe('rolled-back');
    await prometheus.until(
      () => 'the rolled-back release in the worker metrics',
      SEEN_WITHIN_MS,
      async () =>
        (await prometheus.value('sum(runway_releases_ended_total{outcome="rolled-back"})')) === 1 &&
        (await prometheus.value('sum(runway_alert_deliveries_total{outcome="failed"})')) >= 1,
    );

    const series = async (promql: string) => (await prometheus.query(promql)).data?.result ?? [];
    expect(
      await prometheus.value('sum(runway_releases_started_total{service="edm-web",type="hotfix"})'),
    ).toBe(1);
    expect((await series('runway_releases_ended_total'))[0]?.metric).toMatchObject({
      job: 'runway-worker',
      service: 'edm-web',
      type: 'hotfix',
      // Where it ended: its last step, the rollback's verification on TEST.
      environment: 'test',
      outcome: 'rolled-back',
    });
    expect(await prometheus.value('sum(runway_gate_wait_seconds_count{gate="approval"})')).toBe(1);
    expect((await series('runway_rollback_duration_seconds_count'))[0]?.metric).toMatchObject({
      service: 'edm-web',
      cause: 'manual',
      verified: 'true',
    });
    expect(await prometheus.value('sum(runway_rollbacks_total{cause="manual"})')).toBe(1);
    expect(await prometheus.value('sum(runway_steps_total{kind="deploy",outcome="succeeded"})')).toBe(1);
    // The deploy keeps its outcome; what undid it is a compensation step of its own.
    expect(await prometheus.value('sum(runway_steps_total{kind="compensation",outcome="compensated"})')).toBe(
      1,
    );
    expect(await prometheus.value('sum(runway_steps_total{kind="approval",outcome="failed"})')).toBe(1);
    expect(
      (await series('runway_alert_deliveries_total{outcome="failed"}')).map((found) => found.metric),
    ).toContainEqual(
      expect.objectContaining({ channel: 'ops-webhook', channel_type: 'webhook', level: 'P1' }),
    );
    // Timed once, to the end of its production work: rolled back at its approval, it never finished it.
    expect(
      await prometheus.value(
        'sum(runway_release_duration_seconds_count{service="edm-web",outcome="rolled-back"})',
      ),
    ).toBe(1);
    expect(await prometheus.value('sum(runway_release_duration_seconds_count)')).toBe(1);
    // The SDK's metrics are in a scrape whose exporter answered in time (a slow one leaves them out once).
    await prometheus.until(
      () => "the Temporal SDK's metrics in the worker's scrape",
      SEEN_WITHIN_MS,
      async () =>
        (await prometheus.value('runway_temporal_sdk_metrics_up')) === 1 &&
        (await prometheus.value('count(temporal_worker_task_slots_available{job="runway-worker"})')) > 0,
    );
  });

  it('labels HTTP durations by route template, and no series by a release id', async () => {
    const expectedRoutes = ['/api/v1/releases', '/api/v1/releases/{id}', '/api/v1/releases/{id}/rollback'];
    const scrapedRoutes = async () =>
      (
        await prometheus.query('count by (route) (runway_http_request_duration_seconds_count)')
      ).data?.result.map((found) => found.metric.route ?? '') ?? [];
    // The last requests of the release reach Prometheus with the next scrape of the API.
    await prometheus.until(
      () => `the routes of the release's requests: ${prometheus.output()}`,
      SEEN_WITHIN_MS,
      async () => {
        const seen = await scrapedRoutes();
        return expectedRoutes.every((route) => seen.includes(route));
      },
    );
    const routes = await scrapedRoutes();
    expect(routes).toEqual(expect.arrayContaining(expectedRoutes));
    for (const route of routes) {
      expect(route === UNMATCHED_ROUTE || /^(\/([a-z0-9._-]+|\{[A-Za-z]+\}|\*))+$/.test(route), route).toBe(
        true,
      );
    }
    const response = await fetch(
      `${prometheus.url}/api/v1/series?match[]=${encodeURIComponent('{__name__=~"runway_.+"}')}`,
    );
    const all = ((await response.json()) as { data: Record<string, string>[] }).data;
    expect(all.length).toBeGreaterThan(10);
    for (const labels of all) {
      for (const value of Object.values(labels)) expect(value).not.toContain(releaseId);
    }
  });

  it('evaluates every recording and alerting rule without error', async () => {
    const response = await fetch(`${prometheus.url}/api/v1/rules`);
    const groups = (
      (await response.json()) as {
        data: {
          groups: {
            name: string;
            rules: { name: string; query: string; health: string; lastError?: string }[];
          }[];
        };
      }
    ).data.groups;
    const rules = groups.flatMap((group) => group.rules);
    expect(rules.length).toBeGreaterThan(5);
    for (const rule of rules) {
      const answer = await prometheus.query(rule.query);
      expect(answer.status, `${rule.name}: ${answer.error}`).toBe('success');
      expect(rule.lastError ?? '', rule.name).toBe('');
    }
  });

  it('evaluates every panel query of the Grafana dashboard without error', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
    const queries = dashboardQueries(dashboard);
    expect(queries.length).toBeGreaterThan(8);
    for (const { panel, expr } of queries) {
      const answer = await prometheus.query(expr);
      expect(answer.status, `${panel}: ${expr}: ${answer.error}`).toBe('success');
    }
    // The variables' label_values(metric, label): the series exist with that label.
    for (const variable of dashboard.templating.list) {
      const found = /^label_values\((\w+), *(\w+)\)$/.exec(variable.definition ?? '');
      if (!found) continue;
      const [, metric, label] = found;
      const values = (await prometheus.query(`count by (${label}) (${metric})`)).data?.result ?? [];
      expect(
        values.map((value) => value.metric[label as string]),
        variable.name,
      ).toContain('edm-web');
    }
  });
});

// Keeps the shipped scrape configuration honest about the rules it loads.
describe('deploy/prometheus/prometheus.yml', () => {
  it('loads the rule files this test evaluates', () => {
    const config = parse(readFileSync(join(projectRoot, 'deploy/prometheus/prometheus.yml'), 'utf8'));
    expect(config.rule_files).toEqual(['rules/*.yml']);
    expect(ruleFiles().length).toBeGreaterThan(0);
  });
});
