// Automatic rollback and guided failure through the API on the real stack (R-RB-TRIGGER-AUTO,
// R-RB-BLUEGREEN, R-RB-VERIFY, R-GUIDED). A production-only runbook keeps each release short: a
// build that starts answering 5xx once it takes traffic is switched back by the workflow itself
// during its bake; a deploy whose check fails waits for a person's decision. A healthy bake shows its
// latest judgement in the release view while it runs.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listReleaseAlerts } from '../../alerts/recording-notifier.js';
import { releaseApi } from '../support/release-api.js';
import { releaseWorkflowBundle } from '../support/release-workflow-bundle.js';
import { startTestStack, type TestStack } from '../support/runway-stack.js';

const RUNBOOK = `type: regular
description: TEST, then production, for the rollback tests.
steps:
  - { id: deploy-test, kind: deploy, environment: test }
  - { id: baseline-production, kind: baseline, environment: production }
  - { id: deploy-production, kind: deploy, environment: production, onFailure: guided }
  - { id: bake-production, kind: bake, environment: production, baseline: baseline-production }
`;

const PRODUCTION_ONLY_RUNBOOK = `type: regular
description: Production only, for the guided failure test.
steps:
  - { id: deploy-production, kind: deploy, environment: production, onFailure: guided }
`;

let stack: TestStack;
let runbookDir: string;
let pool: pg.Pool;
const savedFaultDelay = process.env.EDM_FAULT_AFTER_MS;

beforeAll(async () => {
  // The demo's bad builds go bad one second after they take traffic (the default is five).
  process.env.EDM_FAULT_AFTER_MS = '1000';
  runbookDir = await mkdtemp(join(tmpdir(), 'runway-rollback-runbooks-'));
  await writeFile(join(runbookDir, 'regular.yml'), RUNBOOK);
  stack = await startTestStack(await releaseWorkflowBundle(), {
    runbookDir,
    configure: (config) => {
      const analysis = config.services['edm-web']?.analysis;
      if (!analysis) return;
      // Long enough for the fault to show (it trips within a few seconds); a healthy bake lasts all of it.
      Object.assign(analysis, { bakeSeconds: 8, baselineSeconds: 2, recoverySeconds: 2 });
      // The faults here are errors and health; on a starved machine a healthy build's p95 passed
      // twice the 50 ms floor (104.8 ms) and rolled back a release these cases need to succeed.
      analysis.thresholds.baselineFloorMs = 250;
    },
  });
  pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  // The database stops at teardown: a connection it ends meanwhile must not become an uncaught error.
  pool.on('error', () => {});
}, 120_000);

afterAll(async () => {
  if (savedFaultDelay === undefined) delete process.env.EDM_FAULT_AFTER_MS;
  else process.env.EDM_FAULT_AFTER_MS = savedFaultDelay;
  await pool?.end();
  await stack?.stop();
  await rm(runbookDir, { recursive: true, force: true });
}, 60_000);

const { api, getRelease, waitForStatus, servedVersion, recordHistoryForReplay } = releaseApi(() => stack);

async function release(version: string): Promise<string> {
  const started = await api('POST', '/releases', 'ops-wang', {
    type: 'regular',
    service: 'edm-web',
    version,
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return String(started.body.id);
}

describe('automatic rollback during the production bake', () => {
  it('switches a build that starts failing back to the previous colour and ends rolled-back, saying why', async () => {
    const good = await release('1.1.0');
    expect((await waitForStatus(good, ['succeeded', 'failed', 'rolled-back'], 60_000)).status).toBe(
      'succeeded',
    );
    expect(await servedVersion('production')).toBe('1.1.0');

    const bad = await release('1.2.0+errors');
    const done = await waitForStatus(bad, ['succeeded', 'failed', 'rolled-back'], 90_000);
    expect(done.status, JSON.stringify(done.failure)).toBe('rolled-back');
    // The proxy serves the old version again, on every request.
    for (let request = 0; request < 20; request++) expect(await servedVersion('production')).toBe('1.1.0');
    expect(done.rollback).toMatchObject({
      cause: 'automatic',
      automatic: { trigger: 'error-rate', unit: 'percent', threshold: 5 },
      verification: [{ environment: 'production', passed: true }],
    });
    expect(done.rollback?.automatic?.measured).toBeGreaterThan(5);
    expect(done.rollback?.durationMs).toBeGreaterThan(0);
    const items = done.rollback?.verification[0]?.items.map((item) => [item.name, item.passed]);
    expect(items).toEqual([
      ['service healthy', true],
      ['key functions', true],
      ['user access', true],
      ['metrics recovered', true],
      ['no error logs', true],
      ['data consistency', true],
    ]);
    // Only what the bake watched is undone.
    const switchBack = done.rollbackPlan.find((entry) => entry.id === 'deploy-production.switch-back');
    expect(switchBack).toMatchObject({ status: 'done', durationMs: expect.any(Number) });
    expect(done.failure?.reason).toMatch(/error-rate tripped during Bake|error rate/);

    // The history says it too: the workflow failed with the trigger and its figures.
    // The record says `rolled-back` first; the execution closes once its alerts have gone out.
    const closing = stack.runway.client.workflow.getHandle(bad);
    await closing.result().catch(() => undefined);
    const history = await closing.fetchHistory();
    const failed = history.events?.find((event) => event.workflowExecutionFailedEventAttributes);
    expect(failed?.workflowExecutionFailedEventAttributes?.failure?.applicationFailureInfo?.type).toBe(
      'ReleaseRolledBack',
    );
    expect((await incidentAlerts(bad)).map((alert) => [alert.level, alert.kind])).toEqual([
      ['P2', 'rolled-back'],
    ]);
    // Its channel heard every stage: running, the gate, rolling back, rolled back.
    const stages = (await listReleaseAlerts(pool, bad)).filter((alert) => alert.kind === 'stage-changed');
    expect(stages.map((alert) => alert.level)).toContain('P3');
    expect(stages.some((alert) => alert.message.includes('rolled-back'))).toBe(true);
    await recordHistoryForReplay(bad, 'v2-e2e-rolled-back-by-bake');

    // A TEST-only reader sees the release and its TEST deploy, and nothing of production: not its
    // steps, not what tripped, not the figures, not the rollback's reason (R-AUTH).
    const asTester = JSON.stringify(await getRelease(bad, 'qa-sun'));
    expect(asTester).toContain('"deploy-test"');
    for (const word of [
      'deploy-production',
      'bake-production',
      'baseline-production',
      'error rate',
      'error-rate',
      'Bake',
    ]) {
      expect(asTester, word).not.toContain(word);
    }
    const summary = done.rollback?.automatic?.summary;
    expect(summary).toMatch(/error rate/);
    expect(asTester).not.toContain(String(summary));
  });
});

describe('a bake as it runs', () => {
  it('shows its latest judgement to readers of its environment while it bakes, and not once it ended', async () => {
    const id = await release('1.3.0');
    // The first judgement comes one probe interval into the bake; the worker heartbeats every second.
    await expect
      .poll(async () => (await getRelease(id)).live?.verdict ?? null, { timeout: 60_000, interval: 200 })
      .toBe('healthy');
    const baking = await getRelease(id);
    expect(baking.currentStep).toBe('bake-production');
    expect(baking.live).toMatchObject({
      step: 'bake-production',
      kind: 'bake',
      verdict: 'healthy',
      summary: expect.any(String),
      traffic: { requests: expect.any(Number), errors: 0 },
    });
    const live = baking.live as NonNullable<typeof baking.live>;
    expect(live.checks.map((check) => check.trigger)).toEqual(['health', 'error-rate', 'latency-p95']);
    expect(live.checks.find((check) => check.trigger === 'health')?.outcome).toBe('passed');
    expect(live.elapsedMs).toBeGreaterThan(0);
    expect(live.elapsedMs).toBeLessThanOrEqual(8_000 + 2_000);
    expect(Date.now() - Date.parse(live.updatedAt)).toBeLessThan(10_000);
    // Its figures belong to production: a TEST-only reader sees the release, not them (R-AUTH).
    const asTester = await getRelease(id, 'qa-sun');
    expect(asTester.live).toBeNull();
    expect(JSON.stringify(asTester)).not.toContain('bake-production');

    // Whether the rest of the bake stays healthy is the other suites' concern (on a starved machine
    // a healthy build's p95 can pass twice its baseline); here: once it has ended, nothing is live.
    const done = await waitForStatus(id, ['succeeded', 'failed', 'rolled-back'], 60_000);
    expect(['succeeded', 'rolled-back']).toContain(done.status);
    expect(done.live).toBeNull();
  });
});

describe('an abort during the production bake', () => {
  it('waits for a second person with deploy in production: one person alone undoes nothing', async () => {
    const id = await release('1.4.0');
    const deadline = Date.now() + 60_000;
    while ((await getRelease(id)).currentStep !== 'bake-production') {
      if (Date.now() > deadline) throw new Error('the release never baked');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const abort = await api('POST', `/releases/${id}/abort`, 'ops-wang', { reason: 'I changed my mind' });
    expect(abort.status, JSON.stringify(abort.body)).toBe(202);
    expect(abort.body).toMatchObject({ decision: 'abort', missing: ['deploy'] });
    const done = await waitForStatus(id, ['succeeded', 'cancelled', 'failed', 'rolled-back'], 60_000);
    expect(done.status).toBe('succeeded');
    expect(await servedVersion('production')).toBe('1.4.0');
    // The order lapsed when the release moved on, and says so.
    expect(
      done.decisions.map((decision) => [
        decision.actor,
        decision.decision,
        decision.outcome,
        decision.refusal,
      ]),
    ).toEqual([
      ['ops-wang', 'abort', 'counted', null],
      ['ops-wang', 'abort', 'refused', 'stale'],
    ]);
    await recordHistoryForReplay(id, 'v2-rules-abort-lapsed');
  });
});

/** The alerts about what went wrong: without stage announcements and escalation notices. */
async function incidentAlerts(releaseId: string) {
  const alerts = await listReleaseAlerts(pool, releaseId);
  return alerts.filter((alert) => alert.kind !== 'stage-changed' && alert.kind !== 'escalation');
}

describe('guided failure through the API', () => {
  it('waits for a decision with a P1 alert, refuses people without deploy, and rolls back on "rollback"', async () => {
    // A build that fails its check would fail in TEST first: this release goes to production only.
    await writeFile(join(runbookDir, 'regular.yml'), PRODUCTION_ONLY_RUNBOOK);
    const id = await release('1.5.0+failing');
    const waiting = await waitForStatus(id, ['waiting-decision', 'failed', 'rolled-back'], 60_000);
    expect(waiting.status).toBe('waiting-decision');
    expect(waiting.pendingDecision).toMatchObject({
      gateId: 'guided:deploy-production',
      kind: 'step',
      environment: 'production',
      options: ['retry', 'skip', 'rollback', 'abort'],
    });
    expect(waiting.pendingDecision?.reason).toMatch(/health|503|check/);
    // The alert is raised right after the record says `waiting-decision`.
    await expect
      .poll(async () => (await incidentAlerts(id)).map((alert) => [alert.level, alert.kind]), {
        timeout: 10_000,
      })
      .toEqual([['P1', 'waiting-decision']]);

    const refused = await api('POST', `/releases/${id}/decision`, 'pm-li', {
      decision: 'rollback',
      reason: 'x',
    });
    expect(refused.status).toBe(403);
    const retried = await api('POST', `/releases/${id}/decision`, 'ops-wang', {
      decision: 'retry',
      reason: 'maybe a flake',
    });
    expect(retried.status, JSON.stringify(retried.body)).toBe(202);
    // The same build fails its check again: the release asks again.
    await waitForStatus(id, ['running'], 30_000).catch(() => undefined);
    const again = await waitForStatus(id, ['waiting-decision'], 60_000);
    expect(again.steps.filter((step) => step.id === 'deploy-production')).toHaveLength(1);

    // The failed deploy never took traffic, so this rollback undoes nothing in production: one person
    // with deploy there decides it (a second is needed only to undo production, release-rules.ts).
    const decided = await api('POST', `/releases/${id}/decision`, 'oncall-zhou', {
      decision: 'rollback',
      reason: 'the build is broken',
    });
    expect(decided.status, JSON.stringify(decided.body)).toBe(202);
    expect(decided.body).toMatchObject({ missing: [] });
    const done = await waitForStatus(id, ['rolled-back', 'failed'], 60_000);
    expect(done.status).toBe('rolled-back');
    expect(done.rollback).toMatchObject({ cause: 'guided', orderedBy: ['oncall-zhou'] });
    expect(done.rollbackPlan.filter((entry) => entry.status === 'done')).toEqual([]);
    // Production still serves what it served before: the release the abort left in place.
    expect(await servedVersion('production')).toBe('1.4.0');
    const decisions = done.decisions.filter((decision) => decision.gateId === 'guided:deploy-production');
    expect(decisions.map((decision) => [decision.actor, decision.decision, decision.outcome])).toEqual([
      ['ops-wang', 'retry', 'counted'],
      ['oncall-zhou', 'rollback', 'counted'],
    ]);
    await getRelease(id);
  });
});
