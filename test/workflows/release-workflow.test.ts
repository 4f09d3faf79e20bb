// The v2 release engine on the time-skipping test server, with the real runbook resolved against the
// real configuration. Target, command, verification and record activities are stand-ins that
// record what the workflow asked for (the end-to-end suite runs the real ones against the demo
// target); signature verification is the real one, with a test key.

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CancelledFailure, Context } from '@temporalio/activity';
import { Client, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bakeUnhealthy } from '../../activities/bake-activities.js';
import { createDecisionActivities } from '../../activities/decision-activities.js';
import type { RunwayActivities } from '../../activities/index.js';
import type { ReleaseTransition } from '../../activities/record-activities.js';
import type { RefusedStart } from '../../activities/start-authority-activities.js';
import type { ReleaseAlert } from '../../alerts/notifier.js';
import { loadConfig } from '../../config/load-config.js';
import { loadRunbook } from '../../runbooks/load-runbook.js';
import { resolveReleasePlan } from '../../runbooks/resolve-release-plan.js';
import { authoriseStart } from '../../security/start-authority.js';
import { WORKFLOWS_PATH } from '../../worker/create-release-worker.js';
import { approvalSignal, decideUpdate, releaseStateQuery } from '../../workflows/release-messages.js';
import type {
  ApprovalPlanStep,
  DecisionClaim,
  DecisionVerdict,
  ReleaseInput,
  ReleaseOutcome,
  ReleaseState,
  Role,
  SignedDecision,
  WindowCheck,
} from '../../workflows/release-model.js';
import { releaseWorkflowV2 } from '../../workflows/release-workflow.js';
import { claimFor, foreignDecisionKeys, signedBy, testDecisionKeys } from '../support/signed-decisions.js';
import { authorisedArgs, startAuthorityStandIns } from '../support/start-authority.js';
import { createTimeSkippingTestEnv } from '../support/temporal-test-env.js';

interface Call {
  activity: string;
  environment?: string;
  colour?: string;
  expectActive?: string | null;
}

/**
 * A calendar the tests declare: release windows are the intervals in `windows` (instants), minus
 * the freezes; it answers like the real one, from the instant the workflow passes in.
 */
class DeclaredCalendar {
  windows: { start: number; end: number }[] = [];
  freezes: { start: number; end: number; reason: string }[] = [];
  checks: string[] = [];

  check(at: string): WindowCheck {
    this.checks.push(at);
    const now = Date.parse(at);
    const frozen = (instant: number) =>
      this.freezes.find((freeze) => instant >= freeze.start && instant < freeze.end);
    for (const window of [...this.windows].sort((a, b) => a.start - b.start)) {
      if (window.end <= now) continue;
      let start = Math.max(window.start, now);
      // A freeze inside the window pushes the opening past it.
      for (let freeze = frozen(start); freeze && start < window.end; freeze = frozen(start))
        start = freeze.end;
      if (start >= window.end) continue;
      if (start === now) return { kind: 'open', windowEnd: new Date(window.end).toISOString() };
      const reason = frozen(now)?.reason ?? 'outside the release windows';
      return {
        kind: 'wait',
        until: new Date(start).toISOString(),
        reason: frozen(now) ? `freeze: ${reason}` : reason,
      };
    }
    return { kind: 'unknown', reason: 'no window declared' };
  }
}

interface StandInOptions {
  calendar?: DeclaredCalendar;
  failVerificationIn?: string;
  failCheckIn?: string;
  /** Environments where nothing is deployed yet. */
  emptyIn?: string[];
  /** A step whose record write PostgreSQL refuses for good. */
  rejectRecordOf?: string;
  /** The first write finds the record already closed. */
  recordClosed?: boolean;
  /**
   * How long each write of a decision takes (a slow database). Only those: the test server skips
   * time while it waits for a result, which must not overtake a write in progress.
   */
  recordDelayMs?: number;
  /** The environment whose switch hangs until the activity is cancelled. */
  hangSwitchIn?: string;
  /** The environment whose bake sees the error rate trip. */
  bakeTripsIn?: string;
  /** How many times the verification of this step fails before it passes. */
  verificationFailuresOf?: { stepId: string; times: number };
  /** How many times switching traffic back in this environment fails before it works. */
  switchBackFailuresIn?: { environment: string; times: number };
}

/** Activities the plans of these tests never reach: calling one is a test failure. */
function unusedActivities<K extends keyof RunwayActivities>(...names: K[]): Pick<RunwayActivities, K> {
  const refuse = (name: string) => async () => {
    throw new Error(`${name} is not used by these tests`);
  };
  return Object.fromEntries(names.map((name) => [name, refuse(name)])) as unknown as Pick<
    RunwayActivities,
    K
  >;
}

/** Stand-in activities over an in-memory blue-green target per environment. */
function standInActivities(options: StandInOptions = {}) {
  const calls: Call[] = [];
  const active: Record<string, 'blue' | 'green' | null> = {
    test: 'blue',
    staging: 'blue',
    production: 'blue',
  };
  for (const environment of options.emptyIn ?? []) active[environment] = null;
  const transitions: ReleaseTransition[] = [];
  // Like the database: a write retried with the same sequence number lands once.
  const keep = (transition: ReleaseTransition) => {
    const index = transitions.findIndex((written) => written.seq === transition.seq);
    if (index >= 0) transitions[index] = transition;
    else transitions.push(transition);
  };
  let hung = false;
  const alerts: ReleaseAlert[] = [];
  let verificationFailures = options.verificationFailuresOf?.times ?? 0;
  let switchBackFailures = options.switchBackFailuresIn?.times ?? 0;
  const activities: RunwayActivities = {
    ...createDecisionActivities({ decisionKeys: testDecisionKeys } as never),
    ...startAuthorityStandIns(),
    // Plans here neither ask what production runs (the API does, before a start) nor how a service is
    // doing, nor change configuration.
    ...unusedActivities(
      'inspectDeployment',
      'checkTargetHealth',
      'currentConfig',
      'applyConfig',
      'checkConfig',
    ),
    async inspectTarget(target) {
      calls.push({ activity: 'inspectTarget', environment: target.environment });
      const colour = active[target.environment] ?? null;
      return { activeColour: colour, colours: { blue: colour ? { version: '1.0.0' } : null, green: null } };
    },
    async deployToColour(target) {
      calls.push({
        activity: 'deployToColour',
        environment: target.environment,
        colour: target.colour,
        expectActive: target.expectActive,
      });
      return { durationMs: 1 };
    },
    async checkColour(target) {
      calls.push({ activity: 'checkColour', environment: target.environment, colour: target.colour });
      if (target.environment === options.failCheckIn) {
        throw ApplicationFailure.nonRetryable(
          'check exited with 1: health (status 503)',
          'TargetCheckFailed',
        );
      }
      return { durationMs: 1 };
    },
    async switchTraffic(target) {
      calls.push({
        activity: 'switchTraffic',
        environment: target.environment,
        colour: target.colour,
        expectActive: target.expectActive,
      });
      const switchingBack = target.key?.includes('.switch-back') ?? false;
      if (
        switchingBack &&
        target.environment === options.switchBackFailuresIn?.environment &&
        switchBackFailures > 0
      ) {
        switchBackFailures -= 1;
        throw ApplicationFailure.nonRetryable('switch refused: proxy unreachable', 'TargetUnreachable');
      }
      if (target.environment === options.hangSwitchIn && !hung) {
        hung = true;
        // A switch that takes its time, heartbeating, until the release is cancelled.
        const context = Context.current();
        const beat = setInterval(() => context.heartbeat(), 100);
        try {
          await context.cancelled;
        } finally {
          clearInterval(beat);
        }
        throw new CancelledFailure('cancelled');
      }
      // The driver contract: already as wanted is done; otherwise traffic must be where the caller expects.
      if (active[target.environment] === target.colour) return { durationMs: 1 };
      if (target.expectActive !== undefined && target.expectActive !== (active[target.environment] ?? null)) {
        throw ApplicationFailure.nonRetryable(
          `target not as expected: active is ${active[target.environment]}`,
          'TargetChanged',
        );
      }
      active[target.environment] = target.colour;
      return { durationMs: 1 };
    },
    async retireColour(target) {
      calls.push({
        activity: 'retireColour',
        environment: target.environment,
        colour: target.colour,
        expectActive: target.expectActive,
      });
      if (active[target.environment] === target.colour) active[target.environment] = null;
      return { durationMs: 1 };
    },
    async runStepCommand(input) {
      calls.push({ activity: 'runStepCommand', environment: input.stepId });
      return { exitCode: 0, durationMs: 1, output: 'ok' };
    },
    async checkReleaseWindow(request) {
      return (options.calendar ?? ALWAYS_OPEN).check(request.at);
    },
    async verifyService(input) {
      calls.push({ activity: 'verifyService', environment: input.stepId });
      if (input.stepId === options.verificationFailuresOf?.stepId && verificationFailures > 0) {
        verificationFailures -= 1;
        throw ApplicationFailure.nonRetryable(
          'verification failed after 10 attempts (health: status 503)',
          'VerificationFailed',
        );
      }
      if (input.stepId === options.failVerificationIn) {
        throw ApplicationFailure.nonRetryable(
          'verification failed after 5 attempts (health: status 503)',
          'VerificationFailed',
        );
      }
      return { attempt: 1, checks: [] };
    },
    async recordTransition(transition) {
      if (options.recordDelayMs && transition.decisions.length > 0) {
        await new Promise((resolve) => setTimeout(resolve, options.recordDelayMs));
      }
      if (options.recordClosed) return { applied: false };
      if (transition.steps.some((step) => step.id === options.rejectRecordOf)) {
        keep({ ...transition, steps: [], decisions: [] });
        throw ApplicationFailure.nonRetryable(
          'new row for relation "release_steps" violates check constraint "no_integration_tests"',
          'RecordRejected',
        );
      }
      keep(transition);
      return { applied: true };
    },
    // edm-web is blue-green: the rolling driver is never asked.
    async listInstances() {
      throw new Error('not a rolling service');
    },
    async updateInstance() {
      throw new Error('not a rolling service');
    },
    async checkInstance() {
      throw new Error('not a rolling service');
    },
    // Migrations: the database stays at 002 (the demo migrations of an earlier release); up adds 003.
    async migrationStatus() {
      return { migrationId: '002', applied: ['001', '002'] };
    },
    async migrateUp() {
      return { migrationId: '003', applied: ['001', '002', '003'], ran: ['003'], durationMs: 1 };
    },
    async migrateDown(ref) {
      calls.push({ activity: 'migrateDown', environment: ref.environment });
      return { migrationId: ref.migrationId, applied: ['001', '002'], ran: ['003'], durationMs: 1 };
    },
    async backupDatabase(ref) {
      return {
        backupId: `backup-${ref.environment}`,
        sizeBytes: 1,
        sha256: '0',
        keyId: 'k',
        durationMs: 1,
        reused: false,
      } as never;
    },
    async measureBaseline() {
      calls.push({ activity: 'measureBaseline', environment: 'production' });
      return { source: 'http stand-in', p95Ms: 12, requests: 40, errors: 0 };
    },
    async bakeService(input) {
      calls.push({ activity: 'bakeService', environment: 'production' });
      if (options.bakeTripsIn === 'production') {
        const tripped = {
          trigger: 'error-rate',
          measured: 30,
          threshold: 5,
          unit: 'percent',
          summary: 'error rate 30% (12 of 40 requests); trips above 5%',
          atMs: 1500,
        };
        throw bakeUnhealthy(tripped);
      }
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
      return {
        environment: input.environment,
        passed: true,
        items: [{ name: 'service healthy', passed: true, detail: `serves ${input.expectedVersion}` }],
      };
    },
    async raiseAlert(alert) {
      // Stage announcements and escalation notices are oversight's (test/workflows/oversight.test.ts).
      if (alert.kind !== 'stage-changed' && alert.kind !== 'escalation') alerts.push(alert);
      return { channels: [], attempts: 1 };
    },
    async deliverAlert() {
      return { delivered: true } as const;
    },
    async recordStep() {},
    async recordReleaseState() {},
    async recordApproval() {},
  };
  return { activities, calls, active, transitions, alerts };
}

/**
 * Open from the epoch to far in the future: the tests that are not about windows never wait. Far
 * indeed: the test server's clock moves ten years whenever a client waits on an execution with
 * nothing left to wait for, so a run of this file ends decades ahead.
 */
const ALWAYS_OPEN = Object.assign(new DeclaredCalendar(), {
  windows: [{ start: 0, end: Date.parse('3000-01-01') }],
});

/**
 * With RUNWAY_RECORD_HISTORY=1, keeps the history for the replay suite (the workflow's own events;
 * what the stand-in activities did does not matter to a replay). Never overwrites a recorded one.
 */
async function recordHistoryForReplay(handle: WorkflowHandle, name: string): Promise<void> {
  const file = join(import.meta.dirname, '../replay/histories', `${name}.json`);
  if (!process.env.RUNWAY_RECORD_HISTORY || existsSync(file)) return;
  await writeFile(file, historyToJSON(await handle.fetchHistory()));
}

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleWithSourceMap;
let input: Omit<ReleaseInput, 'releaseId'>;

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([
    createTimeSkippingTestEnv(),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH }),
  ]);
  const plan = resolveReleasePlan({
    runbook: await loadRunbook('regular'),
    config: await loadConfig(),
    service: 'edm-web',
    version: '1.1.0',
  });
  // Two more people on the gate's roster, for races and double roles.
  const gate = plan.steps.find((step) => step.id === 'change-approval') as ApprovalPlanStep;
  gate.roster.push({ identity: 'pm-wu', roles: ['pm'] }, { identity: 'both-he', roles: ['pm', 'tech-lead'] });
  // Succeeded releases end at once, except where a test opens a rollback window after success.
  if (plan.rollback) plan.rollback.afterSuccessMs = 0;
  input = { type: 'regular', service: 'edm-web', version: '1.1.0', requestedBy: 'ops-wang', plan };
});

afterAll(async () => {
  await env?.teardown();
});

interface Drive {
  releaseId: string;
  /** Now, by the test server's clock (which skips ahead), as an API's issuedAt would be. */
  issuedAt: () => Promise<string>;
  /** A decision as the API would sign it, through the update: the workflow's verdict. */
  decide: (
    actor: string,
    roles: Role[],
    decision?: 'approve' | 'reject',
    extra?: Partial<DecisionClaim>,
  ) => Promise<DecisionVerdict>;
  update: (signed: SignedDecision) => Promise<DecisionVerdict>;
  signal: (signed: SignedDecision) => Promise<void>;
  state: () => Promise<ReleaseState>;
  untilStatus: (status: ReleaseState['status']) => Promise<ReleaseState>;
  until: (check: (state: ReleaseState) => boolean) => Promise<ReleaseState>;
  cancel: () => Promise<void>;
}

let sequence = 0;
async function runRelease(
  activities: RunwayActivities,
  drive: (release: Drive) => Promise<void>,
  options: {
    recordAs?: string;
    adjust?: (release: Omit<ReleaseInput, 'releaseId'>) => Omit<ReleaseInput, 'releaseId'>;
  } = {},
): Promise<ReleaseOutcome & { state: ReleaseState }> {
  const taskQueue = `release-test-${++sequence}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle,
    activities,
  });
  return worker.runUntil(async () => {
    const releaseId = `edm-web-regular-1.1.0-test${sequence}`;
    const handle = await env.client.workflow.start(releaseWorkflowV2, {
      taskQueue,
      workflowId: releaseId,
      args: authorisedArgs(
        'releaseWorkflowV2',
        releaseId,
        { ...(options.adjust ? options.adjust(structuredClone(input)) : input), releaseId },
        new Date(await env.currentTimeMs()),
      ),
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
    const update = (signed: SignedDecision) => handle.executeUpdate(decideUpdate, { args: [signed] });
    const issuedAt = async () => new Date(await env.currentTimeMs()).toISOString();
    await drive({
      releaseId,
      issuedAt,
      decide: async (actor, roles, decision = 'approve', extra = {}) =>
        update(
          signedBy(
            testDecisionKeys,
            claimFor(releaseId, actor, roles, decision, { issuedAt: await issuedAt(), ...extra }),
          ),
        ),
      update,
      signal: (signed) => handle.signal(approvalSignal, signed),
      state,
      until,
      untilStatus: (status) => until((current) => current.status === status),
      cancel: () => cancelAndAwaitHandling(handle),
    });
    const result = await handle.result().then(
      (outcome) => ({ outcome, error: undefined }),
      (error: unknown) => ({ outcome: undefined, error }),
    );
    const final = await state();
    const execution = (await handle.describe()).status.name;
    // An abort ordered through Runway is not a Temporal cancellation: its execution fails.
    const cancelledInTemporal =
      final.status === 'cancelled' && !final.failure?.reason.includes('abort ordered');
    expect(execution).toBe(
      final.status === 'succeeded' ? 'COMPLETED' : cancelledInTemporal ? 'CANCELLED' : 'FAILED',
    );
    if (result.outcome) expect(result.outcome.status).toBe(final.status);
    else expect(result.error).toBeInstanceOf(WorkflowFailedError);
    if (options.recordAs) await recordHistoryForReplay(handle, options.recordAs);
    return { status: final.status, failure: final.failure, state: final };
  });
}

/**
 * Cancels and waits, with time still locked, until a workflow task has taken the cancellation in.
 * Waiting on the result unlocks time skipping: were the test server to fire a timer while the task
 * that cancels it is still running (a slow worker on a loaded machine), it records a broken
 * history and the execution never ends.
 */
async function cancelAndAwaitHandling(handle: WorkflowHandle): Promise<void> {
  await handle.cancel();
  let events: temporal.api.history.v1.IHistoryEvent[] = [];
  for (let attempt = 0; attempt < 600; attempt++) {
    events = (await handle.fetchHistory()).events ?? [];
    const requested = events.findIndex((event) => event.workflowExecutionCancelRequestedEventAttributes);
    const handled = events
      .slice(requested + 1)
      .some(
        (event) =>
          event.workflowTaskCompletedEventAttributes || event.workflowExecutionCanceledEventAttributes,
      );
    if (requested >= 0 && handled) return;
    // A workflow task offered to the worker's sticky queue goes back to the shared one when its
    // schedule-to-start timeout passes — on the test server's clock, which stands still here. A task
    // not taken within 10 s gets one small step of that clock; no timer of a release waiting at a
    // gate is due that soon.
    if (attempt === 200) await env.sleep('10 seconds');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const seen = events.slice(-12).map((event) => temporal.api.enums.v1.EventType[event.eventType ?? 0]);
  throw new Error(
    `the cancellation was never taken in by a workflow task; the last events: ${seen.join(', ')}`,
  );
}

/** What changed production: measuring it (baseline, bake) and inspecting it change nothing. */
const productionCalls = (calls: Call[]) =>
  calls.filter(
    (call) =>
      call.environment === 'production' &&
      !['inspectTarget', 'measureBaseline', 'bakeService'].includes(call.activity),
  );

/**
 * The result of an execution that ends on its own, without unlocking time skipping: the test server
 * skips ten years when a client waits on a workflow that has nothing left to wait for.
 */
function outcomeWithoutSkipping(workflowId: string): Promise<unknown> {
  const client = new Client({ connection: env.connection, namespace: env.namespace ?? 'default' });
  return client.workflow.getHandle(workflowId).result();
}

describe('a start Runway’s API did not authorise', () => {
  it('runs nothing but the check and the refusal, and ends failed: no authority, another id, another key, stale', async () => {
    const { activities, calls, transitions } = standInActivities();
    const refused: RefusedStart[] = [];
    Object.assign(activities, startAuthorityStandIns(refused));
    const taskQueue = `release-test-${++sequence}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle,
      activities,
    });
    await worker.runUntil(async () => {
      const now = new Date(await env.currentTimeMs());
      const attempts: [string, (id: string, release: ReleaseInput) => unknown[], RegExp][] = [
        ['none', (_id, release) => [release], /carries no start authority/],
        [
          'other-id',
          (_id, release) => authorisedArgs('releaseWorkflowV2', 'another-release', release, now),
          /for workflow id another-release/,
        ],
        [
          'other-key',
          (id, release) => [
            release,
            authoriseStart(foreignDecisionKeys, 'releaseWorkflowV2', id, release, now),
          ],
          /signature does not match/,
        ],
        [
          'stale',
          (id, release) =>
            authorisedArgs('releaseWorkflowV2', id, release, new Date(now.getTime() - 6 * 60_000)),
          /authorised for 5 minutes/,
        ],
      ];
      for (const [name, argsFor, reason] of attempts) {
        const releaseId = `edm-web-regular-1.1.0-unauthorised-${name}-${sequence}`;
        const handle = await env.client.workflow.start('releaseWorkflowV2', {
          taskQueue,
          workflowId: releaseId,
          args: argsFor(releaseId, { ...input, releaseId }),
        });
        const failure = await outcomeWithoutSkipping(handle.workflowId).catch((error: unknown) => error);
        expect(failure, name).toBeInstanceOf(WorkflowFailedError);
        expect((failure as WorkflowFailedError).cause, name).toMatchObject({
          type: 'StartNotAuthorised',
          message: expect.stringMatching(reason),
        });
        expect(refused.at(-1), name).toMatchObject({
          workflowId: releaseId,
          reason: expect.stringMatching(reason),
        });
      }
    });
    expect(refused).toHaveLength(4);
    expect(calls).toEqual([]);
    expect(transitions).toEqual([]);
  });

  it('still ends failed when the refusal cannot be recorded (the database is down)', async () => {
    const { activities, calls } = standInActivities();
    Object.assign(activities, startAuthorityStandIns(), {
      async recordRefusedStart() {
        throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      },
    });
    const taskQueue = `release-test-${++sequence}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle,
      activities,
    });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('releaseWorkflowV2', {
        taskQueue,
        workflowId: `edm-web-regular-1.1.0-unauthorised-nodb-${sequence}`,
        args: [{ ...input, releaseId: 'x' }],
      });
      await expect(outcomeWithoutSkipping(handle.workflowId)).rejects.toMatchObject({
        cause: { type: 'StartNotAuthorised' },
      });
    });
    expect(calls).toEqual([]);
  });
});

describe('a regular release on the v2 engine', () => {
  it('deploys to production once a PM and a tech lead, two people, approve; the API gets the verdicts', async () => {
    const target = standInActivities();
    const outcome = await runRelease(target.activities, async ({ decide, untilStatus }) => {
      const waiting = await untilStatus('awaiting-approval');
      expect(waiting.pendingGate?.missing).toEqual(['pm', 'tech-lead']);
      expect(productionCalls(target.calls)).toEqual([]);
      expect(await decide('pm-li', ['read', 'pm'])).toEqual({
        outcome: 'counted',
        decision: 'approve',
        seat: 'pm',
        missing: ['tech-lead'],
      });
      expect(await decide('tl-zhang', ['read', 'tech-lead'])).toEqual({
        outcome: 'counted',
        decision: 'approve',
        seat: 'tech-lead',
        missing: [],
      });
    });
    expect(outcome.status).toBe('succeeded');
    expect(productionCalls(target.calls)).toEqual([
      { activity: 'deployToColour', environment: 'production', colour: 'green', expectActive: 'blue' },
      { activity: 'checkColour', environment: 'production', colour: 'green' },
      { activity: 'switchTraffic', environment: 'production', colour: 'green', expectActive: 'blue' },
    ]);
    expect(target.active.production).toBe('green');
    const last = target.transitions.at(-1);
    expect(last).toMatchObject({ status: 'succeeded', finished: true, holdsLock: false });
    // The record got every step's end and both decisions; one write per transition.
    const written = new Map(
      target.transitions.flatMap((transition) => transition.steps).map((step) => [step.id, step.status]),
    );
    expect([...written.values()].every((status) => status === 'succeeded')).toBe(true);
    expect(written.size).toBe(input.plan.steps.length);
    expect(target.transitions.flatMap((transition) => transition.decisions).map((d) => d.actor)).toEqual([
      'pm-li',
      'tl-zhang',
    ]);
    expect(target.transitions.map((transition) => transition.seq)).toEqual(
      target.transitions.map((_, index) => index + 1),
    );
  });

  it('ends rejected with production untouched when an approver rejects', async () => {
    const target = standInActivities();
    const outcome = await runRelease(target.activities, async ({ decide, untilStatus }) => {
      await untilStatus('awaiting-approval');
      await decide('pm-li', ['pm']);
      expect(await decide('tl-zhang', ['tech-lead'], 'reject')).toMatchObject({
        outcome: 'counted',
        decision: 'reject',
      });
    });
    expect(outcome.status).toBe('rejected');
    expect(outcome.failure?.reason).toContain('rejected by tl-zhang');
    expect(productionCalls(target.calls)).toEqual([]);
    expect(target.active.production).toBe('blue');
  });

  it('refuses forged decisions — unsigned, signed with another key, off the roster, replayed — and records each', async () => {
    const target = standInActivities();
    const outcome = await runRelease(
      target.activities,
      async ({ releaseId, update, signal, decide, untilStatus, until, issuedAt }) => {
        await untilStatus('awaiting-approval');
        const at = { issuedAt: await issuedAt() };
        const forgedKey = signedBy(
          foreignDecisionKeys,
          claimFor(releaseId, 'mallory', ['pm'], 'approve', at),
        );
        expect(await update(forgedKey)).toMatchObject({ outcome: 'refused', refusal: 'unverified' });
        // A valid signature for a person the gate's roster does not know: roles in the claim do not help.
        expect(
          await update(signedBy(testDecisionKeys, claimFor(releaseId, 'eve', ['tech-lead'], 'approve', at))),
        ).toMatchObject({
          outcome: 'refused',
          refusal: 'not-eligible',
        });
        // The v1 shape sent straight to Temporal, as with `temporal workflow signal`.
        await signal({
          gateId: 'change-approval',
          approver: 'mallory',
          roles: ['pm'],
          decision: 'approve',
        } as never);
        await signal({
          gateId: 'change-approval',
          approver: 'eve',
          roles: ['tech-lead'],
          decision: 'reject',
        } as never);
        // Signals and updates may share one activation, where their order is not the order sent: wait
        // for both signals to be recorded before the update, so the record's order below is fixed.
        await until((state) => state.decisions.length === 4);
        // A genuine signed approval, replayed as a signal.
        const genuine = signedBy(testDecisionKeys, claimFor(releaseId, 'pm-li', ['pm'], 'approve', at));
        expect(await update(genuine)).toMatchObject({ outcome: 'counted' });
        await signal(genuine);
        const stale = claimFor(releaseId, 'tl-zhang', ['tech-lead'], 'approve', {
          issuedAt: '2020-01-01T00:00:00.000Z',
        });
        expect(await update(signedBy(testDecisionKeys, stale))).toMatchObject({
          outcome: 'refused',
          refusal: 'stale',
        });
        expect(await decide('ops-wang', ['pm', 'tech-lead'])).toMatchObject({
          outcome: 'refused',
          refusal: 'requester',
        });
        expect(await decide('pm-li', ['pm'], 'reject')).toMatchObject({
          outcome: 'refused',
          refusal: 'already-decided',
        });
        const current = await until((state) => state.decisions.length === 9);
        expect(current.status).toBe('awaiting-approval');
        expect(current.pendingGate?.approvals.map((approval) => approval.approver)).toEqual(['pm-li']);
        expect(current.decisions.map((d) => [d.actor, d.outcome, d.refusal ?? null])).toEqual([
          ['mallory', 'refused', 'unverified'],
          ['eve', 'refused', 'not-eligible'],
          ['?', 'refused', 'malformed'],
          ['?', 'refused', 'malformed'],
          ['pm-li', 'counted', null],
          ['pm-li', 'refused', 'replayed'],
          ['tl-zhang', 'refused', 'stale'],
          ['ops-wang', 'refused', 'requester'],
          ['pm-li', 'refused', 'already-decided'],
        ]);
        expect(productionCalls(target.calls)).toEqual([]);
        await decide('tl-zhang', ['tech-lead']);
      },
    );
    expect(outcome.status).toBe('succeeded');
    const recorded = target.transitions.flatMap((transition) => transition.decisions);
    expect(recorded.filter((decision) => decision.outcome === 'refused')).toHaveLength(8);
  });

  it('answers every decision racing the last seat with the workflow verdict: none is acknowledged and dropped', async () => {
    const target = standInActivities({ recordDelayMs: 300 });
    let verdicts: DecisionVerdict[] = [];
    const outcome = await runRelease(target.activities, async ({ decide, untilStatus }) => {
      await untilStatus('awaiting-approval');
      verdicts = await Promise.all([
        decide('pm-li', ['pm']),
        decide('tl-zhang', ['tech-lead']),
        decide('pm-wu', ['pm'], 'reject'),
      ]);
    });
    const rejection = verdicts[2] as DecisionVerdict;
    if (outcome.status === 'succeeded') {
      expect(rejection).toMatchObject({ outcome: 'refused', refusal: 'gate-closed' });
    } else {
      expect(outcome.status).toBe('rejected');
      expect(rejection).toMatchObject({ outcome: 'counted', decision: 'reject' });
    }
    // Whatever the order, every decision is in the record with the verdict its sender got.
    const recorded = target.transitions.flatMap((transition) => transition.decisions);
    expect(recorded.map((decision) => decision.actor).sort()).toEqual(['pm-li', 'pm-wu', 'tl-zhang']);
    for (const [index, actor] of ['pm-li', 'tl-zhang', 'pm-wu'].entries()) {
      const record = recorded.find((decision) => decision.actor === actor);
      expect(record?.outcome).toBe((verdicts[index] as DecisionVerdict).outcome);
    }
  });

  it('never lets one person fill two seats', async () => {
    const target = standInActivities();
    await runRelease(target.activities, async ({ decide, untilStatus, cancel }) => {
      await untilStatus('awaiting-approval');
      expect(await decide('both-he', ['pm', 'tech-lead'])).toMatchObject({
        outcome: 'counted',
        missing: [expect.any(String)],
      });
      expect(await decide('both-he', ['pm', 'tech-lead'])).toMatchObject({
        outcome: 'refused',
        refusal: 'already-decided',
      });
      await cancel();
    });
  });

  it('judges a signal that arrives while a cancelled release compensates, and still finishes the compensation', async () => {
    const target = standInActivities({ hangSwitchIn: 'staging' });
    const { switchTraffic } = target.activities;
    let compensating!: () => void;
    const compensationStarted = new Promise<void>((resolve) => {
      compensating = resolve;
    });
    // The switch back takes a second, during which a forged decision arrives.
    target.activities.switchTraffic = async (request) => {
      if (request.environment === 'staging' && request.colour === 'blue') {
        compensating();
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      return switchTraffic(request);
    };
    const outcome = await runRelease(
      target.activities,
      async ({ releaseId, signal, until, cancel, issuedAt }) => {
        await until(() =>
          target.calls.some((call) => call.activity === 'switchTraffic' && call.environment === 'staging'),
        );
        await cancel();
        await compensationStarted;
        await signal(
          signedBy(
            foreignDecisionKeys,
            claimFor(releaseId, 'mallory', ['pm'], 'approve', { issuedAt: await issuedAt() }),
          ),
        );
      },
    );
    expect(outcome).toMatchObject({ status: 'cancelled', failure: { step: 'deploy-staging' } });
    expect(outcome.state.rollbackPlan[0]).toMatchObject({ id: 'deploy-staging.switch-back', status: 'done' });
    // Really judged (its signature checked), not cut short by the release's cancellation.
    expect(outcome.state.decisions).toMatchObject([{ actor: 'mallory', refusal: 'unverified' }]);
    expect(outcome.state.decisions[0]?.reason).toContain('does not match');
    expect(target.transitions.at(-1)).toMatchObject({
      status: 'cancelled',
      finished: true,
      holdsLock: false,
    });
  });

  it('records a decision whose signature could not be checked as refused, and goes on', async () => {
    const target = standInActivities();
    target.activities.verifyDecision = async () => {
      throw ApplicationFailure.nonRetryable('key store unreachable');
    };
    const outcome = await runRelease(target.activities, async ({ decide, untilStatus, until, cancel }) => {
      await untilStatus('awaiting-approval');
      expect(await decide('pm-li', ['pm'])).toMatchObject({ outcome: 'refused', refusal: 'unverified' });
      const current = await until((state) => state.decisions.length === 1);
      expect(current.decisions[0]?.reason).toContain('could not be checked');
      expect(current.status).toBe('awaiting-approval');
      await cancel();
    });
    expect(outcome.status).toBe('cancelled');
  });

  it('ends cancelled when cancelled at the gate, production untouched', async () => {
    const target = standInActivities();
    const outcome = await runRelease(target.activities, async ({ untilStatus, cancel }) => {
      await untilStatus('awaiting-approval');
      await cancel();
    });
    expect(outcome).toMatchObject({ status: 'cancelled', failure: { step: 'change-approval' } });
    expect(productionCalls(target.calls)).toEqual([]);
    expect(target.transitions.at(-1)).toMatchObject({
      status: 'cancelled',
      holdsLock: false,
      finished: true,
    });
  });

  it('ends cancelled, not failed, when cancelled in the middle of a switch, and switches back', async () => {
    const target = standInActivities({ hangSwitchIn: 'staging' });
    const outcome = await runRelease(target.activities, async ({ until, cancel }) => {
      await until(() =>
        target.calls.some((call) => call.activity === 'switchTraffic' && call.environment === 'staging'),
      );
      await cancel();
    });
    expect(outcome).toMatchObject({ status: 'cancelled', failure: { step: 'deploy-staging' } });
    const staging = target.calls.filter(
      (call) => call.environment === 'staging' && call.activity === 'switchTraffic',
    );
    expect(staging).toEqual([
      { activity: 'switchTraffic', environment: 'staging', colour: 'green', expectActive: 'blue' },
      { activity: 'switchTraffic', environment: 'staging', colour: 'blue', expectActive: 'green' },
    ]);
    expect(outcome.state.rollbackPlan).toMatchObject([
      { id: 'deploy-staging.switch-back', status: 'done' },
      { id: 'migrate-staging.down', status: 'done' },
      { id: 'deploy-test.switch-back', status: 'pending' },
      { id: 'migrate-test.down', status: 'pending' },
    ]);
  });

  it('never switches traffic to a colour that fails its check', async () => {
    const target = standInActivities({ failCheckIn: 'test' });
    const outcome = await runRelease(target.activities, async () => {});
    expect(outcome).toMatchObject({ status: 'failed', failure: { step: 'deploy-test' } });
    expect(target.calls.filter((call) => call.activity === 'switchTraffic')).toEqual([]);
    expect(target.active.test).toBe('blue');
  });

  it('switches a failing environment back to the colour it served, and shows the rollback plan', async () => {
    const target = standInActivities({ failVerificationIn: 'verify-staging' });
    const outcome = await runRelease(target.activities, async () => {});
    expect(outcome).toMatchObject({ status: 'failed', failure: { step: 'verify-staging' } });
    expect(outcome.failure?.reason).toContain('health: status 503');
    expect(target.active.staging).toBe('blue');
    expect(target.active.test).toBe('green');
    expect(outcome.state.rollbackPlan.map((entry) => [entry.id, entry.action.kind, entry.status])).toEqual([
      ['deploy-staging.switch-back', 'switch-traffic-back', 'done'],
      ['migrate-staging.down', 'migrate-down', 'done'],
      ['deploy-test.switch-back', 'switch-traffic-back', 'pending'],
      ['migrate-test.down', 'migrate-down', 'pending'],
    ]);
    expect(outcome.state.steps.find((step) => step.id === 'deploy-staging.switch-back')?.status).toBe(
      'compensated',
    );
  });

  it('takes a first-ever deploy out of service again when a later step in its environment fails', async () => {
    const target = standInActivities({ emptyIn: ['staging'], failVerificationIn: 'verify-staging' });
    const outcome = await runRelease(target.activities, async () => {});
    expect(outcome.status).toBe('failed');
    expect(
      target.calls.filter((call) => call.environment === 'staging' && call.activity !== 'inspectTarget'),
    ).toEqual([
      { activity: 'deployToColour', environment: 'staging', colour: 'blue', expectActive: null },
      { activity: 'checkColour', environment: 'staging', colour: 'blue' },
      { activity: 'switchTraffic', environment: 'staging', colour: 'blue', expectActive: null },
      { activity: 'retireColour', environment: 'staging', colour: 'blue', expectActive: 'blue' },
    ]);
    expect(target.active.staging).toBeNull();
  });

  it('leaves a target alone that someone changed since the release did, and says so', async () => {
    const target = standInActivities({ failVerificationIn: 'verify-staging' });
    const { verifyService } = target.activities;
    // Someone takes STAGING out of service by hand while the release verifies it.
    target.activities.verifyService = async (request) => {
      if (request.stepId === 'verify-staging') target.active.staging = null;
      return verifyService(request);
    };
    const outcome = await runRelease(target.activities, async () => {});
    expect(outcome.status).toBe('failed');
    const entry = outcome.state.rollbackPlan.find(
      (candidate) => candidate.id === 'deploy-staging.switch-back',
    );
    expect(entry).toMatchObject({ status: 'skipped' });
    expect(entry?.detail).toContain('left as it is');
    expect(target.active.staging).toBeNull();
    expect(outcome.state.steps.find((step) => step.id === 'deploy-staging.switch-back')?.status).toBe(
      'skipped',
    );
  });

  it('fails the step whose record PostgreSQL refuses for good, instead of retrying for ever', async () => {
    const target = standInActivities({ rejectRecordOf: 'integration-tests' });
    const outcome = await runRelease(target.activities, async () => {});
    expect(outcome).toMatchObject({ status: 'failed', failure: { step: 'integration-tests' } });
    expect(outcome.failure?.reason).toContain('the release record could not be written');
    expect(outcome.failure?.reason).toContain('no_integration_tests');
    // The stand-in records a command's step id: the integration tests never ran.
    expect(
      target.calls.some(
        (call) => call.activity === 'runStepCommand' && call.environment === 'integration-tests',
      ),
    ).toBe(false);
    // TEST was compensated, and the record still learned how the release ended.
    expect(target.active.test).toBe('blue');
    expect(target.transitions.at(-1)).toMatchObject({ status: 'failed', finished: true });
  });

  it('ends abandoned, touching nothing, when its record was closed before it started', async () => {
    const target = standInActivities({ recordClosed: true });
    const outcome = await runRelease(target.activities, async () => {});
    expect(outcome).toMatchObject({ status: 'abandoned', failure: { step: 'start' } });
    expect(target.calls).toEqual([]);
  });
});

describe('release windows', () => {
  const HOUR = 3_600_000;
  const approveBoth = async (drive: Drive) => {
    await drive.untilStatus('awaiting-approval');
    await drive.decide('pm-li', ['pm']);
    await drive.decide('tl-zhang', ['tech-lead']);
  };
  const productionStart = (state: ReleaseState) =>
    Date.parse(state.steps.find((step) => step.id === 'deploy-production')?.startedAt ?? 'NaN');

  it('waits days, durably, and deploys to production exactly when the window opens', async () => {
    const calendar = new DeclaredCalendar();
    const opensAt = Math.ceil((await env.currentTimeMs()) / HOUR) * HOUR + 3 * 24 * HOUR;
    calendar.windows = [{ start: opensAt, end: opensAt + 2 * HOUR }];
    const target = standInActivities({ calendar });
    const outcome = await runRelease(target.activities, async (drive) => {
      await approveBoth(drive);
      const waiting = await drive.untilStatus('waiting-window');
      expect(waiting.waitingWindow).toEqual({
        until: new Date(opensAt).toISOString(),
        reason: 'outside the release windows',
      });
      expect(productionCalls(target.calls)).toEqual([]);
    });
    expect(outcome.status).toBe('succeeded');
    expect(productionStart(outcome.state)).toBeGreaterThanOrEqual(opensAt);
    expect(productionStart(outcome.state)).toBeLessThan(opensAt + 60_000);
    expect(target.transitions.some((transition) => transition.status === 'waiting-window')).toBe(true);
  });

  it('checks the calendar again when it wakes: a freeze added during the wait makes it wait again', async () => {
    const calendar = new DeclaredCalendar();
    const opensAt = Math.ceil((await env.currentTimeMs()) / HOUR) * HOUR + 24 * HOUR;
    calendar.windows = [
      { start: opensAt, end: opensAt + 2 * HOUR },
      { start: opensAt + 24 * HOUR, end: opensAt + 26 * HOUR },
    ];
    const target = standInActivities({ calendar });
    const outcome = await runRelease(target.activities, async (drive) => {
      await approveBoth(drive);
      await drive.untilStatus('waiting-window');
      calendar.freezes.push({
        start: opensAt - HOUR,
        end: opensAt + 12 * HOUR,
        reason: 'database maintenance',
      });
    });
    expect(outcome.status).toBe('succeeded');
    expect(productionStart(outcome.state)).toBeGreaterThanOrEqual(opensAt + 24 * HOUR);
    expect(productionStart(outcome.state)).toBeLessThan(opensAt + 24 * HOUR + 60_000);
    // It woke when the first window was due, asked again, and waited for the next one.
    expect(calendar.checks.map(Date.parse).some((at) => at >= opensAt && at < opensAt + 60_000)).toBe(true);
  });

  it('goes through at once when two admins, not the requester, override with a reason', async () => {
    const calendar = new DeclaredCalendar();
    const opensAt = Math.ceil((await env.currentTimeMs()) / HOUR) * HOUR + 5 * 24 * HOUR;
    calendar.windows = [{ start: opensAt, end: opensAt + HOUR }];
    const target = standInActivities({ calendar });
    const outcome = await runRelease(
      target.activities,
      async (drive) => {
        await approveBoth(drive);
        await drive.untilStatus('waiting-window');
        const override = { gateId: 'release-window', comment: 'customer outage fix' };
        expect(await drive.decide('admin-zhao', ['read', 'admin'], 'approve', override)).toMatchObject({
          outcome: 'counted',
          missing: ['admin'],
        });
        expect(await drive.decide('admin-zhao', ['read', 'admin'], 'approve', override)).toMatchObject({
          outcome: 'refused',
          refusal: 'already-decided',
        });
        expect(await drive.decide('admin-qian', ['admin'], 'reject', override)).toMatchObject({
          outcome: 'refused',
          refusal: 'not-eligible',
        });
        expect(await drive.decide('ops-wang', ['admin'], 'approve', override)).toMatchObject({
          refusal: 'requester',
        });
        expect(await drive.decide('admin-qian', ['read', 'admin'], 'approve', override)).toMatchObject({
          outcome: 'counted',
          missing: [],
        });
      },
      { recordAs: 'v2-regular-release-window-override' },
    );
    expect(outcome.status).toBe('succeeded');
    expect(productionStart(outcome.state)).toBeLessThan(opensAt);
    const window = outcome.state.steps.find((step) => step.id === 'release-window');
    expect(window?.detail).toMatchObject({ overriddenBy: ['admin-zhao', 'admin-qian'] });
  });

  it('does not guess past the calendar data: it waits for the calendar or an override', async () => {
    const target = standInActivities({ calendar: new DeclaredCalendar() });
    const outcome = await runRelease(target.activities, async (drive) => {
      await approveBoth(drive);
      const waiting = await drive.untilStatus('waiting-window');
      expect(waiting.waitingWindow).toEqual({ until: null, reason: 'no window declared' });
      const override = { gateId: 'release-window', comment: 'calendar update pending' };
      await drive.decide('admin-zhao', ['admin'], 'approve', override);
      await drive.decide('admin-qian', ['admin'], 'approve', override);
    });
    expect(outcome.status).toBe('succeeded');
  });

  it('leaves production untouched when cancelled during the wait', async () => {
    const calendar = new DeclaredCalendar();
    const opensAt = Math.ceil((await env.currentTimeMs()) / HOUR) * HOUR + 2 * 24 * HOUR;
    calendar.windows = [{ start: opensAt, end: opensAt + HOUR }];
    const target = standInActivities({ calendar });
    const outcome = await runRelease(target.activities, async (drive) => {
      await approveBoth(drive);
      await drive.untilStatus('waiting-window');
      await drive.cancel();
    });
    expect(outcome).toMatchObject({ status: 'cancelled', failure: { step: 'release-window' } });
    expect(productionCalls(target.calls)).toEqual([]);
  });
});

/** The plan with a rollback policy changed as a test needs it. */
const withPolicy =
  (change: (policy: NonNullable<ReleaseInput['plan']['rollback']>) => void) =>
  (release: Omit<ReleaseInput, 'releaseId'>) => {
    change(release.plan.rollback as NonNullable<ReleaseInput['plan']['rollback']>);
    return release;
  };

const order = (decision: 'rollback' | 'abort', comment: string) => ({ gateId: 'release', comment, decision });

describe('rollback and guided failure', () => {
  const approve = async (release: Drive) => {
    await release.untilStatus('awaiting-approval');
    await release.decide('pm-li', ['pm']);
    await release.decide('tl-zhang', ['tech-lead']);
  };

  it('rolls back by itself when the bake trips, switching production back, and says why with figures', async () => {
    const { activities, calls, active, alerts } = standInActivities({ bakeTripsIn: 'production' });
    const result = await runRelease(activities, approve, { recordAs: 'v2-rolled-back-automatic' });
    expect(result.status).toBe('rolled-back');
    expect(active.production).toBe('blue');
    // Only production is undone: TEST and STAGING keep the version they verified.
    expect(active.staging).toBe('green');
    expect(result.state.rollback).toMatchObject({
      cause: 'automatic',
      automatic: { trigger: 'error-rate', measured: 30, threshold: 5, unit: 'percent' },
      verification: [{ environment: 'production', passed: true }],
    });
    expect(result.state.rollback?.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.state.rollbackPlan.find((entry) => entry.environment === 'production')).toMatchObject({
      status: 'done',
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
    });
    expect(calls.map((call) => call.activity)).toContain('verifyRollback');
    expect(alerts).toMatchObject([{ level: 'P2', kind: 'rolled-back' }]);
    expect(result.state.steps.find((step) => step.id === 'bake-production')?.status).toBe('failed');
  });

  it('waits for a decision when a guided step fails: refuses skip of a production verification and non-deployers, then retries', async () => {
    const { activities, alerts } = standInActivities({
      verificationFailuresOf: { stepId: 'verify-production', times: 1 },
    });
    const result = await runRelease(
      activities,
      async (release) => {
        await approve(release);
        const waiting = await release.untilStatus('waiting-decision');
        expect(waiting.pendingDecision).toMatchObject({
          gateId: 'guided:verify-production',
          options: ['retry', 'rollback', 'abort'],
          environment: 'production',
        });
        const gate = { gateId: 'guided:verify-production' };
        expect(await release.decide('ops-wang', ['deploy'], 'skip' as never, gate)).toMatchObject({
          outcome: 'refused',
          refusal: 'not-allowed',
        });
        expect(await release.decide('pm-li', ['deploy'], 'retry' as never, gate)).toMatchObject({
          outcome: 'refused',
          refusal: 'not-eligible',
        });
        expect(
          await release.decide('ops-wang', ['deploy'], 'retry' as never, { ...gate, comment: 'flaky probe' }),
        ).toMatchObject({ outcome: 'counted' });
      },
      {
        recordAs: 'v2-guided-failure-retry',
        adjust: withPolicy((policy) => policy.guidedSteps.push('verify-production')),
      },
    );
    expect(result.status).toBe('succeeded');
    expect(alerts).toMatchObject([{ level: 'P1', kind: 'waiting-decision', stepId: 'verify-production' }]);
  });

  it('rolls everything back, newest first, when a guided failure is decided "rollback"', async () => {
    const { activities, calls, active } = standInActivities({
      verificationFailuresOf: { stepId: 'verify-production', times: 1 },
    });
    const result = await runRelease(
      activities,
      async (release) => {
        await approve(release);
        await release.untilStatus('waiting-decision');
        const guided = { gateId: 'guided:verify-production', comment: 'customers report errors' };
        // It undoes production: the first person's decision waits for a second (release-rules.ts).
        expect(await release.decide('ops-wang', ['deploy'], 'rollback' as never, guided)).toMatchObject({
          outcome: 'counted',
          missing: ['deploy'],
        });
        expect(await release.decide('ops-wang', ['deploy'], 'rollback' as never, guided)).toMatchObject({
          outcome: 'refused',
          refusal: 'already-decided',
        });
        expect(await release.decide('oncall-zhou', ['deploy'], 'rollback' as never, guided)).toMatchObject({
          outcome: 'counted',
          missing: [],
        });
      },
      { adjust: withPolicy((policy) => policy.guidedSteps.push('verify-production')) },
    );
    expect(result.status).toBe('rolled-back');
    expect(active).toMatchObject({ test: 'blue', staging: 'blue', production: 'blue' });
    const switchedBack = calls.filter((call) => call.activity === 'switchTraffic' && call.colour === 'blue');
    expect(switchedBack.map((call) => call.environment)).toEqual(['production', 'staging', 'test']);
    expect(result.state.rollback).toMatchObject({ cause: 'guided', orderedBy: ['ops-wang', 'oncall-zhou'] });
  });

  it('aborts at the change approval: stops there, compensates, ends cancelled', async () => {
    const { activities, active } = standInActivities();
    const result = await runRelease(activities, async (release) => {
      await release.untilStatus('awaiting-approval');
      expect(
        await release.decide('dev-chen', ['read'], 'abort' as never, order('abort', 'wrong build')),
      ).toMatchObject({ refusal: 'not-eligible' });
      expect(
        await release.decide('ops-wang', ['deploy'], 'abort' as never, order('abort', 'wrong build')),
      ).toMatchObject({ outcome: 'counted' });
    });
    expect(result.status).toBe('cancelled');
    expect(result.failure?.reason).toContain('abort ordered by ops-wang: wrong build');
    // Like a cancellation: what it did where it stopped is undone; STAGING keeps what it verified.
    expect(active.production).toBe('blue');
    expect(active.staging).toBe('green');
  });

  it('rolls back after success only with a second person in production, and not once the window closed', async () => {
    const { activities, calls, active } = standInActivities();
    const result = await runRelease(
      activities,
      async (release) => {
        await approve(release);
        await release.until((state) => state.status === 'succeeded' && state.rollbackOpenUntil !== undefined);
        expect(
          await release.decide('ops-wang', ['deploy'], 'abort' as never, order('abort', 'late')),
        ).toMatchObject({ refusal: 'gate-closed' });
        expect(
          await release.decide(
            'ops-wang',
            ['deploy'],
            'rollback' as never,
            order('rollback', 'revenue dropped'),
          ),
        ).toMatchObject({ outcome: 'counted', missing: ['deploy'] });
        expect((await release.state()).pendingRollbackOrder).toMatchObject({
          requestedBy: 'ops-wang',
          environment: 'production',
        });
        expect(
          await release.decide('ops-wang', ['deploy'], 'rollback' as never, order('rollback', 'again')),
        ).toMatchObject({ refusal: 'already-decided' });
        expect(
          await release.decide(
            'oncall-zhou',
            ['deploy'],
            'rollback' as never,
            order('rollback', 'confirmed'),
          ),
        ).toMatchObject({ outcome: 'counted', missing: [] });
      },
      {
        recordAs: 'v2-rolled-back-after-success',
        adjust: withPolicy((policy) => {
          policy.afterSuccessMs = 3_600_000;
        }),
      },
    );
    expect(result.status).toBe('rolled-back');
    expect(result.state.rollback).toMatchObject({ cause: 'manual', orderedBy: ['ops-wang', 'oncall-zhou'] });
    expect(active).toMatchObject({ test: 'blue', staging: 'blue', production: 'blue' });
    expect(
      calls.filter((call) => call.activity === 'verifyRollback').map((call) => call.environment),
    ).toEqual(['production', 'staging', 'test']);

    const late = standInActivities();
    const closed = await runRelease(
      late.activities,
      async (release) => {
        await approve(release);
        await release.until((state) => state.status === 'succeeded' && state.rollbackOpenUntil !== undefined);
        await env.sleep('2 hours');
      },
      {
        adjust: withPolicy((policy) => {
          policy.afterSuccessMs = 3_600_000;
        }),
      },
    );
    expect(closed.status).toBe('succeeded');
    expect(closed.state.rollbackOpenUntil).toBeUndefined();
  });

  it('waits in guided failure with a P0 alert when a compensation fails, and finishes it on retry', async () => {
    const { activities, active, alerts } = standInActivities({
      failVerificationIn: 'verify-production',
      switchBackFailuresIn: { environment: 'production', times: 1 },
    });
    const result = await runRelease(activities, async (release) => {
      await approve(release);
      const waiting = await release.untilStatus('waiting-decision');
      expect(waiting.pendingDecision).toMatchObject({
        kind: 'compensation',
        options: ['retry', 'skip', 'abort'],
      });
      await release.decide('ops-wang', ['deploy'], 'retry' as never, {
        gateId: waiting.pendingDecision?.gateId,
      });
    });
    expect(result.status).toBe('failed');
    expect(active.production).toBe('blue');
    expect(alerts).toMatchObject([{ level: 'P0', kind: 'compensation-failed' }]);
  });
  it('compensates and ends cancelled when cancelled in Temporal while waiting for a decision', async () => {
    const { activities, active } = standInActivities({ failVerificationIn: 'verify-production' });
    const result = await runRelease(
      activities,
      async (release) => {
        await approve(release);
        await release.untilStatus('waiting-decision');
        await release.cancel();
      },
      { adjust: withPolicy((policy) => policy.guidedSteps.push('verify-production')) },
    );
    expect(result.status).toBe('cancelled');
    expect(result.state.pendingDecision).toBeUndefined();
    expect(active.production).toBe('blue');
  });

  it('stays succeeded when cancelled in Temporal during the rollback window after success', async () => {
    const { activities, active } = standInActivities();
    const result = await runRelease(
      activities,
      async (release) => {
        await approve(release);
        await release.until((state) => state.rollbackOpenUntil !== undefined);
        await release.cancel();
      },
      {
        adjust: withPolicy((policy) => {
          policy.afterSuccessMs = 3_600_000;
        }),
      },
    );
    expect(result.status).toBe('succeeded');
    expect(result.state.rollbackOpenUntil).toBeUndefined();
    expect(active.production).toBe('green');
  });
});
