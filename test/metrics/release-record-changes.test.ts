// What the worker's metrics count from a transition: compared with the record as it stood, so a
// gate, a step, a rollback or a release's end is counted once, a retried write counting nothing; and,
// on a real PostgreSQL, two attempts of one write running at once count it once.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityDeps } from '../../activities/activity-deps.js';
import { createRecordActivities } from '../../activities/record-activities.js';
import { APPLICATION_ROLE } from '../../db/application-role.js';
import type { RecordedState } from '../../db/recorded-state.js';
import { insertRelease, type ReleaseTransition } from '../../db/release-records.js';
import { createLogger } from '../../logging/logger.js';
import { recordChanges } from '../../metrics/release-record-changes.js';
import { WorkerMetrics } from '../../metrics/worker-metrics.js';
import type { ReleasePlan, RollbackReport, StepRecord } from '../../workflows/release-model.js';
import { ALWAYS_OPEN_CALENDAR } from '../support/always-open-calendar.js';
import { type MigratedDatabase, startMigratedDatabase } from '../support/migrated-database.js';
import { testDecisionKeys } from '../support/signed-decisions.js';

const NOW = new Date('2026-12-06T10:10:00.000Z');

const recorded = (changes: Partial<RecordedState> = {}): RecordedState => ({
  service: 'edm-web',
  type: 'hotfix',
  status: 'running',
  finished: false,
  createdAt: new Date('2026-12-06T10:00:00.000Z'),
  pendingDecision: null,
  pendingRollbackOrder: null,
  rollback: null,
  planStepIds: ['deploy-production', 'hotfix-approval'],
  stepStatuses: {},
  ...changes,
});

const transition = (changes: Partial<ReleaseTransition> = {}): ReleaseTransition => ({
  releaseId: 'edm-web-hotfix-1.0.1-abc123',
  seq: 5,
  status: 'running',
  currentStep: null,
  environment: 'production',
  failure: null,
  pendingGate: null,
  rollbackPlan: [],
  holdsLock: true,
  finished: false,
  steps: [],
  decisions: [],
  ...changes,
});

const step = (changes: Partial<StepRecord>): StepRecord => ({
  id: 'hotfix-approval',
  name: 'Hotfix approval',
  kind: 'approval',
  environment: 'production',
  status: 'succeeded',
  startedAt: '2026-12-06T10:02:00.000Z',
  finishedAt: '2026-12-06T10:07:30.000Z',
  ...changes,
});

const rollback = (changes: Partial<RollbackReport> = {}): RollbackReport => ({
  cause: 'automatic',
  reason: 'error rate above 5 %',
  orderedBy: [],
  startedAt: '2026-12-06T10:08:00.000Z',
  verification: [],
  ...changes,
});

describe('recordChanges', () => {
  it('counts a gate step that closes, with the time it was open, once', () => {
    const closing = transition({ steps: [step({})] });
    expect(recordChanges(recorded({ stepStatuses: { 'hotfix-approval': 'running' } }), closing, NOW)).toEqual(
      [
        { change: 'step-ended', stepKind: 'approval', outcome: 'succeeded' },
        { change: 'gate-closed', gate: 'approval', environment: 'production', seconds: 330 },
      ],
    );
    // The same write again (a retry after it landed): the record already says so.
    expect(
      recordChanges(recorded({ stepStatuses: { 'hotfix-approval': 'succeeded' } }), closing, NOW),
    ).toEqual([]);
  });

  it('names confirmations and windows as gates, and counts other steps by kind and outcome only', () => {
    const steps = [
      step({ id: 'fix-reviewed', kind: 'confirm', finishedAt: '2026-12-06T10:02:01.000Z' }),
      step({
        id: 'release-window',
        kind: 'window',
        status: 'skipped',
        finishedAt: '2026-12-06T10:02:00.000Z',
      }),
      step({ id: 'deploy-test', kind: 'deploy', status: 'failed', environment: 'test' }),
      step({ id: 'bake-production', kind: 'bake', status: 'running', finishedAt: undefined }),
    ];
    expect(recordChanges(recorded(), transition({ steps }), NOW)).toEqual([
      { change: 'step-ended', stepKind: 'confirm', outcome: 'succeeded' },
      { change: 'gate-closed', gate: 'confirmation', environment: 'production', seconds: 1 },
      { change: 'step-ended', stepKind: 'window', outcome: 'skipped' },
      { change: 'gate-closed', gate: 'window', environment: 'production', seconds: 0 },
      { change: 'step-ended', stepKind: 'deploy', outcome: 'failed' },
    ]);
  });

  it("counts a step's later outcome, but not its gate a second time", () => {
    const compensated = transition({ steps: [step({ status: 'compensated' })] });
    expect(
      recordChanges(recorded({ stepStatuses: { 'hotfix-approval': 'succeeded' } }), compensated, NOW),
    ).toEqual([{ change: 'step-ended', stepKind: 'approval', outcome: 'compensated' }]);
  });

  it("closes a failure's decision and a production order's second person when they are answered", () => {
    const waiting = recorded({
      pendingDecision: {
        gateId: 'guided:deploy-production',
        kind: 'step',
        subject: 'deploy-production',
        environment: 'production',
        reason: 'health check failed',
        options: ['retry', 'rollback'],
        since: '2026-12-06T10:05:00.000Z',
      },
      pendingRollbackOrder: {
        requestedBy: 'ops-wang',
        reason: 'errors',
        at: '2026-12-06T10:09:00.000Z',
        environment: 'production',
      },
    });
    expect(recordChanges(waiting, transition(), NOW)).toEqual([
      { change: 'gate-closed', gate: 'decision', environment: 'production', seconds: 300 },
      { change: 'gate-closed', gate: 'second-person', environment: 'production', seconds: 60 },
    ]);
    expect(
      recordChanges(
        waiting,
        transition({
          pendingDecision: waiting.pendingDecision,
          pendingRollbackOrder: waiting.pendingRollbackOrder,
        }),
        NOW,
      ),
    ).toEqual([]);
  });

  it('counts a rollback when it starts and when its verification is done', () => {
    expect(recordChanges(recorded(), transition({ rollback: rollback() }), NOW)).toEqual([
      { change: 'rollback-started', cause: 'automatic' },
    ]);
    const finished = rollback({
      finishedAt: '2026-12-06T10:09:30.000Z',
      durationMs: 90_000,
      verification: [
        { environment: 'production', passed: true, items: [] },
        { environment: 'test', passed: false, items: [] },
      ],
    });
    expect(
      recordChanges(recorded({ rollback: rollback() }), transition({ rollback: finished }), NOW),
    ).toEqual([{ change: 'rollback-finished', cause: 'automatic', verified: false, seconds: 90 }]);
    expect(recordChanges(recorded({ rollback: finished }), transition({ rollback: finished }), NOW)).toEqual(
      [],
    );
  });

  it('counts the end of a release once, where it ended, with its duration', () => {
    const ending = transition({
      status: 'failed',
      finished: true,
      environment: 'production',
      failure: { step: 'deploy-test', reason: 'check failed', environment: 'test' },
    });
    expect(recordChanges(recorded(), ending, NOW)).toEqual([
      // Its production work ended with it, undone: how long it took, under its final status.
      { change: 'production-work-ended', outcome: 'failed', seconds: 600 },
      { change: 'release-ended', outcome: 'failed', environment: 'test' },
    ]);
    expect(recordChanges(recorded({ finished: true }), ending, NOW)).toEqual([]);
  });

  it("times a release to its production work's end, not to its record closing", () => {
    const deployed = { 'deploy-production': 'succeeded' } as const;
    // The last step ends well: the release succeeds, its record open for a rollback window.
    const succeeding = transition({
      status: 'succeeded',
      finished: false,
      rollbackOpenUntil: '2026-12-06T11:10:00.000Z',
      steps: [step({})],
    });
    expect(
      recordChanges(
        recorded({ stepStatuses: { ...deployed, 'hotfix-approval': 'running' } }),
        succeeding,
        NOW,
      ),
    ).toEqual([
      { change: 'step-ended', stepKind: 'approval', outcome: 'succeeded' },
      { change: 'gate-closed', gate: 'approval', environment: 'production', seconds: 330 },
      { change: 'production-work-ended', outcome: 'succeeded', seconds: 600 },
    ]);
    // A hotfix owing its documents has done its production work as well.
    expect(
      recordChanges(
        recorded({ stepStatuses: { ...deployed, 'hotfix-approval': 'running' } }),
        transition({ status: 'awaiting-docs', steps: [step({})] }),
        NOW,
      ),
    ).toContainEqual({ change: 'production-work-ended', outcome: 'succeeded', seconds: 600 });
    const done = recorded({
      status: 'succeeded',
      stepStatuses: { ...deployed, 'hotfix-approval': 'succeeded' },
    });
    // The window closes an hour later: the release ends, and is not timed again.
    expect(recordChanges(done, transition({ status: 'succeeded', finished: true }), NOW)).toEqual([
      { change: 'release-ended', outcome: 'succeeded', environment: 'production' },
    ]);
    // Nor when it is rolled back after success: its compensations are steps of their own.
    const undone = transition({
      status: 'rolled-back',
      finished: true,
      steps: [step({ id: 'undo-deploy-production', kind: 'compensation', status: 'compensated' })],
    });
    expect(recordChanges({ ...done, status: 'rolling-back' }, undone, NOW)).toEqual([
      { change: 'step-ended', stepKind: 'compensation', outcome: 'compensated' },
      { change: 'release-ended', outcome: 'rolled-back', environment: 'production' },
    ]);
    // A write that changes no step leaves a release whose work is not done untimed until it ends.
    expect(recordChanges(recorded({ stepStatuses: deployed }), transition(), NOW)).toEqual([]);
  });
});

// The record activity on PostgreSQL, as runway_app writes it, with the worker's real metrics.
describe('the record activity, counting', () => {
  let database: MigratedDatabase;
  let owner: pg.Pool;
  let app: pg.Pool;

  beforeAll(async () => {
    database = await startMigratedDatabase();
    owner = new pg.Pool({ connectionString: database.ownerUrl, max: 2 });
    app = new pg.Pool({ connectionString: database.appUrl, max: 4 });
    for (const pool of [owner, app]) pool.on('error', () => {});
  }, 120_000);

  afterAll(async () => {
    await app?.end();
    await owner?.end();
    await database?.stop();
  });

  const PLAN = {
    type: 'regular',
    description: 'TEST, then an approval.',
    steps: [
      { id: 'deploy-test', name: 'Deploy to TEST', kind: 'deploy', environment: 'test' },
      { id: 'change-approval', name: 'Change approval', kind: 'approval', environment: 'production' },
    ],
  } as unknown as ReleasePlan;

  const deployTest = (changes: Partial<StepRecord> = {}): StepRecord => ({
    id: 'deploy-test',
    name: 'Deploy to TEST',
    kind: 'deploy',
    environment: 'test',
    status: 'running',
    startedAt: '2026-12-06T10:01:00.000Z',
    ...changes,
  });

  /** A record activity over `app` counting into fresh metrics, and a release of `service` it has claimed. */
  async function claimedRelease(service: string) {
    const metrics = new WorkerMetrics({ defaultMetrics: false });
    const deps: ActivityDeps = {
      pool: app,
      logger: createLogger('record-metrics', { level: 'silent' }),
      workingDirectory: process.cwd(),
      decisionKeys: testDecisionKeys,
      calendar: ALWAYS_OPEN_CALENDAR,
      metrics,
    };
    const releaseId = `${service}-regular-1.0.0-metrics`;
    await insertRelease(app, {
      id: releaseId,
      workflowType: 'releaseWorkflowV2',
      type: 'regular',
      service,
      version: '1.0.0',
      requestedBy: 'ops-wang',
      plan: PLAN,
      environments: ['test', 'production'],
      temporalUrl: 'http://localhost:8233',
    } as never);
    const { recordTransition } = createRecordActivities(deps);
    const claim = transition({ releaseId, seq: 1, environment: 'test', steps: [deployTest()] });
    expect(await recordTransition(claim)).toEqual({ applied: true });
    /** The sum of a series' samples with these labels; a histogram's by its `_count` series. */
    const count = async (name: string, labels: Record<string, string>) => {
      const metric = metrics.registry.getSingleMetric(name.replace(/_count$/, ''));
      return ((await metric?.get())?.values ?? [])
        .filter((sample) => ((sample as { metricName?: string }).metricName ?? name) === name)
        .filter((sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
        .reduce((sum, sample) => sum + sample.value, 0);
    };
    return { releaseId, recordTransition, count };
  }

  it('counts a write once when two attempts of it run at once', async () => {
    const { releaseId, recordTransition, count } = await claimedRelease('edm-web');
    // Both steps end, the gate closes, the release succeeds with a rollback window open: the
    // record stays open, so both attempts' UPDATE applies (same seq).
    const succeeded = transition({
      releaseId,
      seq: 2,
      status: 'succeeded',
      holdsLock: false,
      rollbackOpenUntil: '2026-12-06T11:10:00.000Z',
      steps: [
        deployTest({ status: 'succeeded', finishedAt: '2026-12-06T10:02:00.000Z' }),
        step({ id: 'change-approval', name: 'Change approval' }),
      ],
    });
    // A transaction holds the release's row while both attempts start, so they truly overlap.
    const holder = await owner.connect();
    let attempts: Promise<unknown>[] = [];
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM releases WHERE id = $1 FOR UPDATE', [releaseId]);
      attempts = [recordTransition(succeeded), recordTransition(succeeded)];
      const deadline = Date.now() + 30_000;
      const waiting = async () =>
        Number(
          (
            await owner.query(
              "SELECT count(*) AS n FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock'",
              [APPLICATION_ROLE],
            )
          ).rows[0].n,
        );
      while ((await waiting()) < 2) {
        if (Date.now() > deadline) throw new Error('the two attempts never both waited for the row');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await holder.query('COMMIT');
      holder.release();
    }
    expect(await Promise.all(attempts)).toEqual([{ applied: true }, { applied: true }]);
    expect(await count('runway_steps_total', { kind: 'deploy', outcome: 'succeeded' })).toBe(1);
    expect(await count('runway_steps_total', { kind: 'approval', outcome: 'succeeded' })).toBe(1);
    expect(await count('runway_gate_wait_seconds_count', { gate: 'approval' })).toBe(1);
    expect(
      await count('runway_release_duration_seconds_count', { service: 'edm-web', outcome: 'succeeded' }),
    ).toBe(1);
    // Its record closes only when the window does.
    expect(await count('runway_releases_ended_total', {})).toBe(0);
  });

  it('counts what a write of the release row alone changed, when its steps are refused for good', async () => {
    const { releaseId, recordTransition, count } = await claimedRelease('edm-sender');
    const rollingBack = transition({
      releaseId,
      seq: 2,
      status: 'rolling-back',
      environment: 'test',
      rollback: rollback(),
      // PostgreSQL refuses this step for good (not a time): the release row is written alone.
      steps: [deployTest({ status: 'failed', finishedAt: 'not a time' })],
    });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      await expect(recordTransition(rollingBack)).rejects.toMatchObject({ type: 'RecordRejected' });
    }
    const { rows } = await app.query(
      'SELECT status, rollback IS NOT NULL AS rolling FROM releases WHERE id = $1',
      [releaseId],
    );
    expect(rows).toEqual([{ status: 'rolling-back', rolling: true }]);
    // The rollback the row says began counts, once over both attempts; the refused step does not.
    expect(await count('runway_rollbacks_total', { service: 'edm-sender', cause: 'automatic' })).toBe(1);
    expect(await count('runway_steps_total', { kind: 'deploy' })).toBe(0);
  });
});
