// The release engine on the time-skipping test server, with the real runbook resolved against the
// real configuration. Target, command and verification activities are stand-ins that record what
// the workflow asked for: this suite is about the workflow's decisions (the end-to-end suite runs
// the real activities against the demo target).

import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunwayActivities } from '../../activities/index.js';
import { loadConfig } from '../../config/load-config.js';
import { loadRunbook } from '../../runbooks/load-runbook.js';
import { resolveReleasePlan } from '../../runbooks/resolve-release-plan.js';
import { WORKFLOWS_PATH } from '../../worker/create-release-worker.js';
import { approvalSignal, releaseStateQuery } from '../../workflows/release-messages.js';
import type {
  ApprovalDecision,
  ReleaseInput,
  ReleaseOutcome,
  ReleaseState,
  Role,
} from '../../workflows/release-model.js';
import { releaseWorkflow } from '../../workflows/release-workflow.js';
import { createTimeSkippingTestEnv } from '../support/temporal-test-env.js';

interface Call {
  activity: string;
  environment?: string;
  colour?: string;
}

/** Stand-in activities over an in-memory blue-green target per environment. */
function recordingActivities(options: { failVerificationIn?: string; failCheckIn?: string } = {}) {
  const calls: Call[] = [];
  const active: Record<string, 'blue' | 'green'> = { test: 'blue', staging: 'blue', production: 'blue' };
  const statuses: string[] = [];
  const activities: RunwayActivities = {
    async inspectTarget(target) {
      calls.push({ activity: 'inspectTarget', environment: target.environment });
      return {
        activeColour: active[target.environment] ?? null,
        colours: { blue: { version: '1.0.0' }, green: null },
      };
    },
    async deployToColour(target) {
      calls.push({ activity: 'deployToColour', environment: target.environment, colour: target.colour });
      return { durationMs: 1 };
    },
    async checkColour(target) {
      calls.push({ activity: 'checkColour', environment: target.environment, colour: target.colour });
      if (target.environment === options.failCheckIn) {
        throw ApplicationFailure.nonRetryable(
          'check exited with 1: green failed its checks: health (status 503)',
          'TargetCheckFailed',
        );
      }
      return { durationMs: 1 };
    },
    async switchTraffic(target) {
      calls.push({ activity: 'switchTraffic', environment: target.environment, colour: target.colour });
      active[target.environment] = target.colour;
      return { durationMs: 1 };
    },
    async runStepCommand(input) {
      calls.push({ activity: 'runStepCommand', environment: input.stepId });
      return { exitCode: 0, durationMs: 1, output: 'ok' };
    },
    async verifyService(input) {
      calls.push({ activity: 'verifyService', environment: input.stepId });
      if (input.stepId === options.failVerificationIn) {
        throw ApplicationFailure.nonRetryable(
          'verification failed after 5 attempts (health: status 503)',
          'VerificationFailed',
        );
      }
      return { attempt: 1, checks: [] };
    },
    async recordStep() {},
    async recordReleaseState(update) {
      statuses.push(update.status);
    },
    async recordApproval() {},
  };
  return { activities, calls, active, statuses };
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
  input = { type: 'regular', service: 'edm-web', version: '1.1.0', requestedBy: 'ops-wang', plan };
});

afterAll(async () => {
  await env?.teardown();
});

let sequence = 0;
async function runRelease(
  activities: RunwayActivities,
  drive: (release: {
    decide: (approver: string, roles: Role[], decision?: ApprovalDecision['decision']) => Promise<void>;
    state: () => Promise<ReleaseState>;
    untilStatus: (status: ReleaseState['status']) => Promise<ReleaseState>;
    cancel: () => Promise<void>;
  }) => Promise<void>,
  requestedBy = 'ops-wang',
): Promise<ReleaseOutcome> {
  const taskQueue = `release-test-${++sequence}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle,
    activities,
  });
  return worker.runUntil(async () => {
    const releaseId = `edm-web-regular-1.1.0-test${sequence}`;
    const handle = await env.client.workflow.start(releaseWorkflow, {
      taskQueue,
      workflowId: releaseId,
      args: [{ ...input, releaseId, requestedBy }],
    });
    const state = () => handle.query(releaseStateQuery);
    const untilStatus = async (status: ReleaseState['status']) => {
      for (let attempt = 0; attempt < 200; attempt++) {
        const current = await state();
        if (current.status === status) return current;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`release never reached ${status}`);
    };
    const decide = (approver: string, roles: Role[], decision: ApprovalDecision['decision'] = 'approve') =>
      handle.signal(approvalSignal, { gateId: 'change-approval', approver, roles, decision });
    await drive({ decide, state, untilStatus, cancel: async () => void (await handle.cancel()) });
    // A release that does not go out ends its execution Failed or Canceled; its own status and
    // failure stay readable through the query.
    const result = await handle.result().then(
      (outcome) => ({ outcome, error: undefined }),
      (error: unknown) => ({ outcome: undefined, error }),
    );
    const final = await state();
    const execution = (await handle.describe()).status.name;
    expect(execution).toBe(
      final.status === 'succeeded' ? 'COMPLETED' : final.status === 'cancelled' ? 'CANCELLED' : 'FAILED',
    );
    if (result.outcome) expect(result.outcome.status).toBe(final.status);
    else expect(result.error).toBeInstanceOf(WorkflowFailedError);
    return { status: final.status, failure: final.failure };
  });
}

const productionCalls = (calls: Call[]) =>
  calls.filter((call) => call.environment === 'production' && call.activity !== 'inspectTarget');

describe('regular release', () => {
  it('deploys to production once a PM and a tech lead, two people, approve', async () => {
    const target = recordingActivities();
    const outcome = await runRelease(target.activities, async ({ decide, untilStatus }) => {
      const waiting = await untilStatus('awaiting-approval');
      expect(waiting.pendingGate?.missing).toEqual(['pm', 'tech-lead']);
      expect(productionCalls(target.calls)).toEqual([]);
      await decide('pm-li', ['read', 'pm']);
      await decide('tl-zhang', ['read', 'tech-lead']);
    });
    expect(outcome.status).toBe('succeeded');
    expect(productionCalls(target.calls)).toEqual([
      { activity: 'deployToColour', environment: 'production', colour: 'green' },
      { activity: 'checkColour', environment: 'production', colour: 'green' },
      { activity: 'switchTraffic', environment: 'production', colour: 'green' },
    ]);
    expect(target.active.production).toBe('green');
    expect(target.statuses.at(-1)).toBe('succeeded');
  });

  it('ends rejected with production untouched when an approver rejects', async () => {
    const target = recordingActivities();
    const outcome = await runRelease(target.activities, async ({ decide, untilStatus }) => {
      await untilStatus('awaiting-approval');
      await decide('pm-li', ['pm']);
      await decide('tl-zhang', ['tech-lead'], 'reject');
    });
    expect(outcome.status).toBe('rejected');
    expect(outcome.failure?.reason).toContain('rejected by tl-zhang');
    expect(productionCalls(target.calls)).toEqual([]);
    expect(target.active.production).toBe('blue');
  });

  it('does not count self-approval, the same person twice, or one person in two seats', async () => {
    const target = recordingActivities();
    const outcome = await runRelease(
      target.activities,
      async ({ decide, untilStatus, state }) => {
        await untilStatus('awaiting-approval');
        await decide('ops-wang', ['pm', 'tech-lead']); // the requester
        await decide('pm-li', ['pm', 'tech-lead']); // holds both roles: fills one seat only
        await decide('pm-li', ['pm', 'tech-lead']); // the same person again
        await decide('dev-chen', ['read']); // no approver role
        let current = await state();
        for (let attempt = 0; attempt < 100 && current.refusedApprovals.length < 3; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          current = await state();
        }
        expect(current.status).toBe('awaiting-approval');
        expect(current.pendingGate?.approvals.map((approval) => approval.approver)).toEqual(['pm-li']);
        expect(current.pendingGate?.missing).toHaveLength(1);
        expect(current.refusedApprovals.map((refusal) => refusal.approver)).toEqual([
          'ops-wang',
          'pm-li',
          'dev-chen',
        ]);
        expect(productionCalls(target.calls)).toEqual([]);
        await decide('tl-zhang', ['tech-lead']);
      },
      'ops-wang',
    );
    expect(outcome.status).toBe('succeeded');
  });

  it('ends cancelled when cancelled at the gate, production untouched and the record closed', async () => {
    const target = recordingActivities();
    const outcome = await runRelease(target.activities, async ({ untilStatus, cancel }) => {
      await untilStatus('awaiting-approval');
      await cancel();
    });
    expect(outcome).toMatchObject({ status: 'cancelled', failure: { step: 'change-approval' } });
    expect(productionCalls(target.calls)).toEqual([]);
    expect(target.statuses.at(-1)).toBe('cancelled');
  });

  it('never switches traffic to a colour that fails its check', async () => {
    const target = recordingActivities({ failCheckIn: 'test' });
    const outcome = await runRelease(target.activities, async () => {});
    expect(outcome).toMatchObject({ status: 'failed', failure: { step: 'deploy-test' } });
    expect(outcome.failure?.reason).toContain('failed its checks');
    expect(target.calls.filter((call) => call.activity === 'switchTraffic')).toEqual([]);
    expect(target.active.test).toBe('blue');
  });

  it('fails at the failing step and switches that environment back to the colour it served', async () => {
    const target = recordingActivities({ failVerificationIn: 'verify-staging' });
    const outcome = await runRelease(target.activities, async () => {});
    expect(outcome).toMatchObject({ status: 'failed', failure: { step: 'verify-staging' } });
    expect(outcome.failure?.reason).toContain('health: status 503');
    const staging = target.calls.filter(
      (call) => call.environment === 'staging' && call.activity === 'switchTraffic',
    );
    expect(staging.map((call) => call.colour)).toEqual(['green', 'blue']);
    expect(target.active.staging).toBe('blue');
    expect(target.active.test).toBe('green');
    expect(target.calls.some((call) => call.activity === 'runStepCommand')).toBe(true);
    expect(productionCalls(target.calls)).toEqual([]);
  });
});
