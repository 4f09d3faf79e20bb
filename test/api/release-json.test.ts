// The release view as clients see it: ISO dates, null for absent values, timings, the Temporal link,
// and a shape that matches the schema the OpenAPI document publishes.
import { describe, expect, it } from 'vitest';
import { releaseJson, releaseSummaryJson } from '../../api/release-json.js';
import { ReleaseSchema, ReleaseSummarySchema } from '../../api/release-schemas.js';
import type { ReleaseView } from '../../api/release-service.js';
import { loadConfig } from '../../config/load-config.js';
import { loadRunbook } from '../../runbooks/load-runbook.js';
import { resolveReleasePlan } from '../../runbooks/resolve-release-plan.js';

const temporalUrlFor = (id: string) => `http://temporal.example/workflows/${id}`;

async function awaitingApproval(): Promise<ReleaseView> {
  const plan = resolveReleasePlan({
    runbook: await loadRunbook('regular'),
    config: await loadConfig(),
    service: 'edm-web',
    version: '1.4.2',
  });
  return {
    id: 'edm-web-regular-1.4.2-a1b2c3',
    runId: 'run-1',
    workflowType: 'releaseWorkflowV2',
    waitingWindow: null,
    type: 'regular',
    service: 'edm-web',
    version: '1.4.2',
    changeRef: null,
    requestedBy: 'ops-wang',
    status: 'awaiting-approval',
    currentStep: 'change-approval',
    currentEnvironment: 'production',
    environments: ['test', 'staging', 'production'],
    holdsLock: true,
    claimedAt: new Date('2026-11-05T02:00:00Z'),
    rollbackPlan: [
      {
        id: 'deploy-test.switch-back',
        stepId: 'deploy-test',
        environment: 'test',
        description: 'switch edm-web in test back to blue',
        action: { kind: 'switch-traffic-back', to: 'blue', from: 'green' },
        status: 'pending',
      },
    ],
    failure: null,
    plan,
    temporalUrl: null,
    createdAt: new Date('2026-11-05T02:00:00Z'),
    updatedAt: new Date('2026-11-05T02:10:00Z'),
    finishedAt: null,
    steps: [
      {
        id: 'deploy-test',
        name: 'Deploy to TEST (blue-green)',
        kind: 'deploy',
        environment: 'test',
        status: 'succeeded',
        startedAt: '2026-11-05T02:00:01.000Z',
        finishedAt: '2026-11-05T02:00:31.500Z',
        detail: { colour: 'green' },
      },
      {
        id: 'change-approval',
        name: 'Change approval (PM and tech lead)',
        kind: 'approval',
        environment: 'production',
        status: 'running',
        startedAt: '2026-11-05T02:05:00.000Z',
      },
    ],
    decisions: [
      {
        seq: 1,
        decisionId: 'd-1',
        gateId: 'change-approval',
        actor: 'mallory',
        roles: ['pm'],
        decision: 'approve',
        at: '2026-11-05T02:08:00.000Z',
        outcome: 'refused',
        refusal: 'unverified',
        reason: 'signature not verified',
        via: 'signal',
      },
      {
        seq: 2,
        decisionId: 'd-2',
        gateId: 'change-approval',
        actor: 'pm-li',
        roles: ['read', 'pm'],
        decision: 'approve',
        at: '2026-11-05T02:09:00.000Z',
        outcome: 'counted',
        seat: 'pm',
        via: 'update',
      },
    ],
    pendingGate: {
      gateId: 'change-approval',
      name: 'Change approval (PM and tech lead)',
      environment: 'production',
      quorum: ['pm', 'tech-lead'],
      approvals: [{ approver: 'pm-li', roles: ['read', 'pm'], seat: 'pm', at: '2026-11-05T02:09:00.000Z' }],
      missing: ['tech-lead'],
    },
  };
}

describe('releaseJson', () => {
  it('matches the published Release schema', async () => {
    const json = releaseJson(await awaitingApproval(), temporalUrlFor);
    expect(ReleaseSchema.safeParse(json).error).toBeUndefined();
  });

  it('writes dates as ISO strings and absent values as null', async () => {
    const json = releaseJson(await awaitingApproval(), temporalUrlFor);
    expect(json.createdAt).toBe('2026-11-05T02:00:00.000Z');
    expect(json.finishedAt).toBeNull();
    expect(json.changeRef).toBeNull();
    expect(json.failure).toBeNull();
    expect(json.approvals[0]?.decidedAt).toBe('2026-11-05T02:09:00.000Z');
  });

  it('gives finished steps their duration and running ones none', async () => {
    const [deployed, waiting] = releaseJson(await awaitingApproval(), temporalUrlFor).steps;
    expect(deployed).toMatchObject({ finishedAt: '2026-11-05T02:00:31.500Z', durationMs: 30_500 });
    expect(waiting).toMatchObject({ status: 'running', finishedAt: null, durationMs: null, error: null });
  });

  it('shows the pending gate with who approved which seat and which seats are missing', async () => {
    const gate = releaseJson(await awaitingApproval(), temporalUrlFor).pendingGate;
    expect(gate).toEqual({
      gateId: 'change-approval',
      name: 'Change approval (PM and tech lead)',
      environment: 'production',
      quorum: ['pm', 'tech-lead'],
      approvals: [{ approver: 'pm-li', seat: 'pm', at: '2026-11-05T02:09:00.000Z', comment: null }],
      missing: ['tech-lead'],
    });
  });

  it('links to Temporal Web, preferring the stored link', async () => {
    const view = await awaitingApproval();
    expect(releaseJson(view, temporalUrlFor).temporalUrl).toBe(temporalUrlFor(view.id));
    const stored = { ...view, temporalUrl: 'http://stored.example/x' };
    expect(releaseJson(stored, temporalUrlFor).temporalUrl).toBe('http://stored.example/x');
  });
});

describe('releaseSummaryJson', () => {
  it('holds only the summary fields, matching the published schema', async () => {
    const view = await awaitingApproval();
    const failed = { ...view, status: 'failed' as const, failure: { step: 'deploy-test', reason: 'boom' } };
    const json = releaseSummaryJson(failed, temporalUrlFor);
    expect(ReleaseSummarySchema.strict().safeParse(json).error).toBeUndefined();
    expect(json.failure).toEqual({ step: 'deploy-test', reason: 'boom' });
  });
});
