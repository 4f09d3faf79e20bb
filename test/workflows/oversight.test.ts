// Oversight of a release on the time-skipping test server (R-SLA, R-ESCALATE, R-EXPIRE, R-POSTHOC,
// supersession): the real regular runbook resolved against the real configuration, given the
// oversight of each release type. Target, record and alert activities are stand-ins that record what
// the workflow asked for; signature verification is the real one, with a test key.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecisionActivities } from '../../activities/decision-activities.js';
import type { RunwayActivities } from '../../activities/index.js';
import type { ReleaseTransition } from '../../activities/record-activities.js';
import type { ReleaseAlert } from '../../alerts/notifier.js';
import type { RunwayConfig } from '../../config/config-schema.js';
import { loadConfig } from '../../config/load-config.js';
import { loadRunbook } from '../../runbooks/load-runbook.js';
import { resolveOversight } from '../../runbooks/resolve-oversight.js';
import { resolveReleasePlan } from '../../runbooks/resolve-release-plan.js';
import { WORKFLOWS_PATH } from '../../worker/create-release-worker.js';
import { decideUpdate, releaseStateQuery } from '../../workflows/release-messages.js';
import type {
  DecisionClaim,
  DecisionKind,
  DecisionVerdict,
  ReleaseInput,
  ReleasePlan,
  ReleaseState,
  ReleaseType,
  Role,
} from '../../workflows/release-model.js';
import { releaseWorkflowV2 } from '../../workflows/release-workflow.js';
import { claimFor, signedBy, testDecisionKeys } from '../support/signed-decisions.js';
import { authorisedArgs, startAuthorityStandIns } from '../support/start-authority.js';
import { createTimeSkippingTestEnv } from '../support/temporal-test-env.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Timers fire when their time has come; the workflow task that sees them runs a moment later. */
const TIMER_SLACK_MS = 5_000;

interface Call {
  activity: string;
  environment: string;
}

/** Stand-ins over an in-memory blue-green target; `holdProductionDeploy` keeps production's deploy running. */
function standIns(options: { holdProductionDeploy?: Promise<void> } = {}) {
  const calls: Call[] = [];
  const transitions: ReleaseTransition[] = [];
  const alerts: ReleaseAlert[] = [];
  const active: Record<string, 'blue' | 'green' | null> = {
    test: 'blue',
    staging: 'blue',
    production: 'blue',
  };
  const activities: Partial<RunwayActivities> = {
    ...createDecisionActivities({ decisionKeys: testDecisionKeys } as never),
    ...startAuthorityStandIns(),
    async inspectTarget(target) {
      return {
        activeColour: active[target.environment] ?? null,
        colours: { blue: { version: '1.0.0' }, green: null },
      };
    },
    async deployToColour(target) {
      calls.push({ activity: 'deployToColour', environment: target.environment });
      if (target.environment === 'production') await options.holdProductionDeploy;
      return { durationMs: 1 };
    },
    async checkColour(target) {
      calls.push({ activity: 'checkColour', environment: target.environment });
      return { durationMs: 1 };
    },
    async switchTraffic(target) {
      calls.push({ activity: 'switchTraffic', environment: target.environment });
      active[target.environment] = target.colour;
      return { durationMs: 1 };
    },
    async retireColour(target) {
      calls.push({ activity: 'retireColour', environment: target.environment });
      return { durationMs: 1 };
    },
    async runStepCommand() {
      return { exitCode: 0, durationMs: 1, output: 'ok' };
    },
    async checkReleaseWindow() {
      return { kind: 'open', windowEnd: null };
    },
    async verifyService() {
      return { attempt: 1, checks: [] };
    },
    async recordTransition(transition) {
      transitions.push(transition);
      return { applied: true };
    },
    async migrationStatus() {
      return { migrationId: '002', applied: ['001', '002'] };
    },
    async migrateUp() {
      return { migrationId: '003', applied: ['001', '002', '003'], ran: ['003'], durationMs: 1 };
    },
    async migrateDown(ref) {
      return { migrationId: ref.migrationId, applied: ['001', '002'], ran: ['003'], durationMs: 1 };
    },
    async backupDatabase(ref) {
      return {
        backupId: `backup-${ref.environment}`,
        sizeBytes: 1,
        sha256: '0',
        keyId: 'k',
        durationMs: 1,
      } as never;
    },
    async measureBaseline() {
      return { source: 'http stand-in', p95Ms: 12, requests: 40, errors: 0 };
    },
    async bakeService(input) {
      return {
        source: 'http stand-in',
        durationMs: input.durationMs,
        verdict: 'healthy',
        summary: 'healthy',
        checks: [],
      };
    },
    async verifyRollback(input) {
      calls.push({ activity: 'verifyRollback', environment: input.environment });
      return { environment: input.environment, passed: true, items: [] };
    },
    async raiseAlert(alert) {
      alerts.push(alert);
      return undefined as never;
    },
  };
  return { activities, calls, transitions, alerts, active };
}

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleWithSourceMap;
let config: RunwayConfig;
let regularPlan: ReleasePlan;

beforeAll(async () => {
  [env, workflowBundle, config] = await Promise.all([
    createTimeSkippingTestEnv(),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH }),
    loadConfig(),
  ]);
  regularPlan = resolveReleasePlan({
    runbook: await loadRunbook('regular'),
    config,
    service: 'edm-web',
    version: '1.1.0',
  });
  // Only the test that is about it keeps a rollback window after success.
  if (regularPlan.rollback) regularPlan.rollback.afterSuccessMs = 0;
});

afterAll(async () => {
  await env?.teardown();
});

/** The regular plan watched as a release of `type` is, adjusted by `change`. */
function planOf(
  type: ReleaseType,
  change: (oversight: NonNullable<ReleasePlan['oversight']>, plan: ReleasePlan) => void = () => {},
): ReleasePlan {
  const plan = structuredClone(regularPlan);
  plan.type = type;
  plan.oversight = resolveOversight(config, type, plan.steps);
  change(plan.oversight, plan);
  return plan;
}

interface Drive {
  releaseId: string;
  handle: WorkflowHandle<typeof releaseWorkflowV2>;
  decide: (
    actor: string,
    roles: Role[],
    decision: DecisionKind,
    extra?: Partial<DecisionClaim>,
  ) => Promise<DecisionVerdict>;
  approve: () => Promise<void>;
  state: () => Promise<ReleaseState>;
  until: (check: (state: ReleaseState) => boolean) => Promise<ReleaseState>;
}

let sequence = 0;
async function runRelease(
  activities: Partial<RunwayActivities>,
  plan: ReleasePlan,
  drive: (release: Drive) => Promise<void>,
  options: { recordAs?: string } = {},
): Promise<{ state: ReleaseState; startedAt: number; handle: WorkflowHandle<typeof releaseWorkflowV2> }> {
  const taskQueue = `oversight-test-${++sequence}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle,
    activities,
  });
  return worker.runUntil(async () => {
    const releaseId = `edm-web-${plan.type}-1.1.0-oversight${sequence}`;
    const input: ReleaseInput = {
      releaseId,
      type: plan.type,
      service: 'edm-web',
      version: '1.1.0',
      requestedBy: 'ops-wang',
      plan,
    };
    const handle = await env.client.workflow.start(releaseWorkflowV2, {
      taskQueue,
      workflowId: releaseId,
      args: authorisedArgs('releaseWorkflowV2', releaseId, input, new Date(await env.currentTimeMs())),
    });
    const state = () => handle.query(releaseStateQuery);
    const until = async (check: (current: ReleaseState) => boolean) => {
      for (let attempt = 0; attempt < 300; attempt++) {
        const current = await state();
        if (check(current)) return current;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`release never reached the expected state: ${JSON.stringify(await state())}`);
    };
    const decide: Drive['decide'] = async (actor, roles, decision, extra = {}) =>
      handle.executeUpdate(decideUpdate, {
        args: [
          signedBy(
            testDecisionKeys,
            claimFor(releaseId, actor, roles, decision as 'approve', {
              issuedAt: new Date(await env.currentTimeMs()).toISOString(),
              ...extra,
            }),
          ),
        ],
      });
    const approve = async () => {
      await until((current) => current.status === 'awaiting-approval');
      await decide('pm-li', ['pm'], 'approve');
      await decide('tl-zhang', ['tech-lead'], 'approve');
    };
    await drive({ releaseId, handle, decide, approve, state, until });
    await handle.result().catch(() => undefined);
    const startedAt = (await handle.describe()).startTime.getTime();
    if (options.recordAs) await recordHistoryForReplay(handle, options.recordAs);
    return { state: await state(), startedAt, handle };
  });
}

/** With RUNWAY_RECORD_HISTORY=1, keeps the history for the replay suite; never overwrites one. */
async function recordHistoryForReplay(handle: WorkflowHandle, name: string): Promise<void> {
  const file = join(import.meta.dirname, '../replay/histories', `${name}.json`);
  if (!process.env.RUNWAY_RECORD_HISTORY || existsSync(file)) return;
  await writeFile(file, historyToJSON(await handle.fetchHistory()));
}

/** Timer summaries in the history (what Temporal Web shows next to each timer), with their events. */
async function timers(handle: WorkflowHandle) {
  const history = await handle.fetchHistory();
  const started = new Map<string, string>();
  const fired = new Set<string>();
  const cancelled = new Set<string>();
  for (const event of history.events ?? []) {
    const timerStarted = event.timerStartedEventAttributes;
    if (timerStarted?.timerId) {
      const summary = event.userMetadata?.summary?.data;
      started.set(timerStarted.timerId, summary ? JSON.parse(Buffer.from(summary).toString('utf8')) : '');
    }
    if (event.timerFiredEventAttributes?.timerId) fired.add(event.timerFiredEventAttributes.timerId);
    if (event.timerCanceledEventAttributes?.timerId)
      cancelled.add(event.timerCanceledEventAttributes.timerId);
  }
  return [...started].map(([id, summary]) => ({
    summary,
    fired: fired.has(id),
    cancelled: cancelled.has(id),
  }));
}

const ofKind = (alerts: ReleaseAlert[], kind: ReleaseAlert['kind']) =>
  alerts.filter((alert) => alert.kind === kind);
const productionChanges = (calls: Call[]) =>
  calls.filter((call) => call.environment === 'production' && call.activity !== 'verifyRollback');

describe('the SLA of hotfix and emergency releases (R-SLA)', () => {
  it.each([
    { type: 'hotfix' as const, limit: 2 * HOUR, level: 'P1', waitFor: 150 * MINUTE },
    { type: 'emergency' as const, limit: 30 * MINUTE, level: 'P0', waitFor: 40 * MINUTE },
  ])(
    'alerts $level once at exactly start + the SLA when a $type gate still waits, and goes on',
    async ({ type, limit, level, waitFor }) => {
      const target = standIns();
      const plan = planOf(type, (oversight) => {
        oversight.gateLifetimeMs = 4 * HOUR;
        delete oversight.postHoc;
      });
      const run = await runRelease(target.activities, plan, async (release) => {
        await release.until((state) => state.status === 'awaiting-approval');
        await env.sleep(waitFor);
        await release.approve();
      });
      expect(run.state.status).toBe('succeeded');
      const breaches = ofKind(target.alerts, 'sla-breached');
      expect(breaches).toMatchObject([{ level, kind: 'sla-breached', stepId: 'change-approval' }]);
      const deadline = run.startedAt + limit;
      expect(Date.parse(run.state.sla?.deadline ?? '')).toBe(deadline);
      const breachedAt = Date.parse(run.state.sla?.breachedAt ?? '');
      expect(breachedAt).toBeGreaterThanOrEqual(deadline);
      expect(breachedAt - deadline).toBeLessThan(TIMER_SLACK_MS);
      expect(run.state.sla?.stoppedAt).toBeDefined();
      expect((await timers(run.handle)).filter((timer) => timer.summary.startsWith('SLA'))).toEqual([
        {
          summary: expect.stringContaining('SLA: production work must end within'),
          fired: true,
          cancelled: false,
        },
      ]);
    },
  );

  it('cancels the SLA timer when production work ends in time: no alert', async () => {
    const target = standIns();
    const plan = planOf('hotfix', (oversight) => delete oversight.postHoc);
    const run = await runRelease(target.activities, plan, (release) => release.approve());
    expect(run.state.status).toBe('succeeded');
    expect(ofKind(target.alerts, 'sla-breached')).toEqual([]);
    expect(run.state.sla).toMatchObject({ level: 'P1', stoppedAt: expect.any(String) });
    expect(run.state.sla?.breachedAt).toBeUndefined();
    expect((await timers(run.handle)).filter((timer) => timer.summary.startsWith('SLA'))).toEqual([
      { summary: expect.stringContaining('SLA'), fired: false, cancelled: true },
    ]);
    // Every stage was announced to the release's channel, the first one as it started.
    expect(ofKind(target.alerts, 'stage-changed').map((alert) => alert.key.split(':')[2])).toEqual([
      'running',
      'awaiting-approval',
      'running',
      'succeeded',
    ]);
  });
});

describe('escalation and expiry of a waiting gate (R-ESCALATE, R-EXPIRE)', () => {
  const offsets = (state: ReleaseState) => {
    const escalations = state.escalations ?? [];
    const openedAt = Date.parse(escalations[0]?.at ?? '');
    return escalations.map((notice) => ({
      level: notice.level,
      roster: notice.roster,
      minutes: Math.floor((Date.parse(notice.at) - openedAt) / MINUTE),
      lateMs: (Date.parse(notice.at) - openedAt) % MINUTE,
    }));
  };

  it('notifies L1 at once, L2 at 15 min, L3 at 45 min, L3 again every hour, then expires the gate', async () => {
    const target = standIns();
    const plan = planOf('regular', (oversight) => {
      oversight.gateLifetimeMs = 3 * HOUR;
    });
    const run = await runRelease(target.activities, plan, (release) =>
      release.until((state) => state.status === 'awaiting-approval').then(() => undefined),
    );
    expect(offsets(run.state).map(({ lateMs: _, ...notice }) => notice)).toEqual([
      { level: 'L1', roster: ['oncall-zhou'], minutes: 0 },
      { level: 'L2', roster: ['tl-zhang'], minutes: 15 },
      { level: 'L3', roster: ['admin-zhao'], minutes: 45 },
      { level: 'L3', roster: ['admin-zhao'], minutes: 105 },
      { level: 'L3', roster: ['admin-zhao'], minutes: 165 },
    ]);
    expect(offsets(run.state).every((notice) => notice.lateMs < TIMER_SLACK_MS)).toBe(true);
    expect(ofKind(target.alerts, 'escalation')).toMatchObject([
      { level: 'P2', audience: ['oncall-zhou'], stepId: 'change-approval' },
      { level: 'P2', audience: ['tl-zhang'] },
      { level: 'P2', audience: ['admin-zhao'] },
      { level: 'P2', audience: ['admin-zhao'] },
      { level: 'P2', audience: ['admin-zhao'] },
    ]);
    expect(run.state.status).toBe('expired');
    const gate = run.state.steps.find((step) => step.id === 'change-approval');
    const openedAt = Date.parse(run.state.escalations?.[0]?.at ?? '');
    expect(Date.parse(gate?.finishedAt ?? '') - openedAt - 3 * HOUR).toBeLessThan(TIMER_SLACK_MS);
    expect(run.state.failure?.reason).toContain('the gate expired');
    expect(ofKind(target.alerts, 'expired')).toMatchObject([{ kind: 'expired', stepId: 'change-approval' }]);
    expect(productionChanges(target.calls)).toEqual([]);
  });

  it('stops escalating when the gate is answered: an answer at 20 min leaves L1 and L2', async () => {
    const target = standIns();
    const run = await runRelease(target.activities, planOf('regular'), async (release) => {
      await release.until((state) => state.status === 'awaiting-approval');
      await env.sleep(20 * MINUTE);
      await release.approve();
    });
    expect(run.state.status).toBe('succeeded');
    expect(offsets(run.state).map((notice) => [notice.level, notice.minutes])).toEqual([
      ['L1', 0],
      ['L2', 15],
    ]);
    const escalationTimers = (await timers(run.handle)).filter((timer) =>
      timer.summary.includes('change-approval'),
    );
    expect(escalationTimers.at(-1)).toMatchObject({ fired: false, cancelled: true });
  });

  it('ends a regular release expired after 7 days at its approval, production never touched', async () => {
    const target = standIns();
    const run = await runRelease(target.activities, planOf('regular'), (release) =>
      release.until((state) => state.status === 'awaiting-approval').then(() => undefined),
    );
    expect(run.state.status).toBe('expired');
    const gate = run.state.steps.find((step) => step.id === 'change-approval');
    expect(Date.parse(gate?.finishedAt ?? '') - Date.parse(gate?.startedAt ?? '')).toBeGreaterThanOrEqual(
      7 * 24 * HOUR,
    );
    expect(run.state.failure?.reason).toContain('waited 7 days');
    expect(productionChanges(target.calls)).toEqual([]);
    // Nothing after the gate ran: no window wait, no migration, no deploy.
    const gateIndex = run.state.steps.findIndex((step) => step.id === 'change-approval');
    expect(run.state.steps.slice(gateIndex + 1).filter((step) => step.kind !== 'compensation')).toEqual([]);
    // L1, L2, L3, then L3 every hour until the 7 days are up.
    expect(run.state.escalations).toHaveLength(3 + Math.floor((7 * 24 * HOUR - 45 * MINUTE) / HOUR));
  });

  it('takes an expired guided decision as an abort that keeps production: ends expired with a P1 alert', async () => {
    const target = standIns();
    target.activities.verifyService = async (input) => {
      if (input.stepId === 'verify-production') {
        throw ApplicationFailure.nonRetryable(
          'verification failed (health: status 503)',
          'VerificationFailed',
        );
      }
      return { attempt: 1, checks: [] };
    };
    const plan = planOf('hotfix', (oversight, changed) => {
      delete oversight.postHoc;
      changed.rollback?.guidedSteps.push('verify-production');
    });
    const run = await runRelease(target.activities, plan, async (release) => {
      await release.approve();
      await release.until((state) => state.status === 'waiting-decision');
    });
    expect(run.state.status).toBe('expired');
    expect(run.state.failure?.reason).toContain('the gate expired');
    // Nobody decided: nothing automatic undoes production (release-rules.ts), only two people could.
    expect(run.state.failure?.reason).toMatch(/production keeps what the release did there/);
    expect(target.active.production).toBe('green');
    expect(ofKind(target.alerts, 'expired')).toContainEqual(
      expect.objectContaining({ level: 'P1', environment: 'production' }),
    );
    const decisionNotices = ofKind(target.alerts, 'escalation').filter(
      (alert) => alert.stepId === 'guided:verify-production',
    );
    expect(decisionNotices[0]).toMatchObject({ level: 'P1', audience: ['oncall-zhou'] });
  });
});

describe('supersession (R-EXPIRE)', () => {
  const supersede = (release: Drive, actor = 'ops-wang') =>
    release.decide(actor, ['deploy'], 'supersede', {
      gateId: 'release',
      comment: 'edm-web-hotfix-1.1.1-abc123',
    });

  it('ends a release waiting at its gate superseded, production untouched', async () => {
    const target = standIns();
    const run = await runRelease(target.activities, planOf('regular'), async (release) => {
      await release.until((state) => state.status === 'awaiting-approval');
      expect(await supersede(release, 'dev-chen')).toMatchObject({
        outcome: 'refused',
        refusal: 'not-eligible',
      });
      expect(await supersede(release)).toMatchObject({ outcome: 'counted', decision: 'supersede' });
    });
    expect(run.state.status).toBe('superseded');
    expect(run.state.supersededBy).toBe('edm-web-hotfix-1.1.1-abc123');
    expect(productionChanges(target.calls)).toEqual([]);
    expect(ofKind(target.alerts, 'superseded')).toHaveLength(1);
    expect(target.transitions.at(-1)).toMatchObject({
      status: 'superseded',
      holdsLock: false,
      finished: true,
      supersededBy: 'edm-web-hotfix-1.1.1-abc123',
    });
  });

  it('refuses a supersession while the release changes a target', async () => {
    let release!: () => void;
    const target = standIns({ holdProductionDeploy: new Promise<void>((resolve) => (release = resolve)) });
    const run = await runRelease(target.activities, planOf('regular'), async (drive) => {
      await drive.approve();
      await drive.until((state) => state.currentStep === 'deploy-production');
      expect(await supersede(drive)).toMatchObject({ outcome: 'refused', refusal: 'gate-closed' });
      release();
    });
    expect(run.state.status).toBe('succeeded');
  });
});

describe('post-hoc duties (R-POSTHOC)', () => {
  const document = (release: Drive, actor: string, roles: Role[], comment: string) =>
    release.decide(actor, roles, 'document', { gateId: 'release', comment });

  it('waits awaiting-docs without the lock, reminds every cadence, and ends succeeded once documented', async () => {
    const target = standIns();
    const run = await runRelease(
      target.activities,
      planOf('hotfix'),
      async (release) => {
        await release.approve();
        const waiting = await release.until((state) => state.status === 'awaiting-docs');
        expect(waiting.postHoc).toMatchObject({ duty: 'documentation', reminders: 0 });
        expect(target.transitions.at(-1)).toMatchObject({
          status: 'awaiting-docs',
          holdsLock: false,
          finished: false,
        });
        await env.sleep(49 * HOUR);
        expect((await release.state()).postHoc?.reminders).toBe(2);
        expect(await document(release, 'pm-li', ['pm'], 'https://wiki.example.com/hotfix-1')).toMatchObject({
          refusal: 'not-eligible',
        });
        expect(await document(release, 'oncall-zhou', ['deploy'], 'not a link')).toMatchObject({
          refusal: 'not-allowed',
        });
        expect(
          await document(
            release,
            'oncall-zhou',
            ['deploy'],
            'https://wiki.example.com/hotfix-1\nroot cause: cache',
          ),
        ).toMatchObject({ outcome: 'counted' });
      },
      { recordAs: 'v2-oversight-hotfix-documented' },
    );
    expect(run.state.status).toBe('succeeded');
    expect(run.state.postHoc).toMatchObject({
      reminders: 2,
      attached: { link: 'https://wiki.example.com/hotfix-1', by: 'oncall-zhou', note: 'root cause: cache' },
    });
    const reminders = ofKind(target.alerts, 'post-hoc-reminder');
    expect(reminders).toMatchObject([{ level: 'P3' }, { level: 'P3' }]);
    expect(target.transitions.at(-1)).toMatchObject({
      status: 'succeeded',
      holdsLock: false,
      finished: true,
    });
    // Waiting for documents does not count against the SLA.
    expect(ofKind(target.alerts, 'sla-breached')).toEqual([]);
  });

  it('can still be rolled back within its window while it awaits its documents', async () => {
    const target = standIns();
    const plan = planOf('emergency', (_oversight, changed) => {
      if (changed.rollback) changed.rollback.afterSuccessMs = HOUR;
    });
    const order = { gateId: 'release', comment: 'errors after the fix' };
    const run = await runRelease(target.activities, plan, async (release) => {
      await release.approve();
      await release.until((state) => state.status === 'awaiting-docs');
      expect(await release.decide('ops-wang', ['deploy'], 'rollback', order)).toMatchObject({
        outcome: 'counted',
      });
      expect(await release.decide('oncall-zhou', ['deploy'], 'rollback', order)).toMatchObject({
        outcome: 'counted',
      });
    });
    expect(run.state.status).toBe('rolled-back');
    expect(target.active.production).toBe('blue');
    expect(run.state.postHoc).toMatchObject({ duty: 'incident-review' });
  });
});
