// The release view as clients see it: ISO dates, null for absent values, timings, the Temporal link,
// and a shape that matches the schema the OpenAPI document publishes.
import { describe, expect, it } from 'vitest';
import { planJson, releaseJson, releaseSummaryJson } from '../../api/release-json.js';
import { ReleaseSchema, ReleaseSummarySchema } from '../../api/release-schemas.js';
import type { ReleaseView } from '../../api/release-service.js';
import { visibleView } from '../../api/services/release-reader.js';
import { loadConfig } from '../../config/load-config.js';
import { loadRunbook } from '../../runbooks/load-runbook.js';
import { resolveReleasePlan } from '../../runbooks/resolve-release-plan.js';
import type { CommandSpec, PlanStep, ReleasePlan, RollbackPolicy } from '../../workflows/release-model.js';
import { HIDDEN } from '../../workflows/release-rules.js';

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
    recordVersion: 1,
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
    pendingDecision: null,
    pendingRollbackOrder: null,
    rollback: null,
    rollbackOpenUntil: null,
  };
}

const command = (name: string): CommandSpec => ({
  argv: ['demo-target', name],
  timeoutMs: 5_000,
  envFrom: {},
});
const settings = { intervalMs: 250, timeoutMs: 1_000, judgeWindowSeconds: 5 };

/** Steps of the kinds rollback brought: a rolling deploy, migrations, a baseline and a bake. */
const ROLLBACK_ERA_STEPS: PlanStep[] = [
  {
    id: 'migrate-production',
    name: 'Migrate the PROD database',
    kind: 'migrate',
    environment: 'production',
    database: {
      urlEnv: 'EDM_WEB_PRODUCTION_DATABASE_URL',
      actions: { status: command('status'), up: command('up'), down: command('down') },
    },
  },
  {
    id: 'baseline-production',
    name: 'Measure the running version',
    kind: 'baseline',
    environment: 'production',
    probe: {
      type: 'http',
      url: 'http://127.0.0.1:4130',
      healthPath: '/healthz',
      paths: [{ path: '/', expectStatus: 200 }],
    },
    durationMs: 2_000,
    settings,
  },
  {
    id: 'deploy-sender',
    name: 'Roll edm-sender out',
    kind: 'deploy',
    strategy: 'rolling',
    environment: 'production',
    batchSize: 2,
    driver: {
      type: 'command',
      actions: { instances: command('instances'), update: command('update'), check: command('check') },
    },
  },
  {
    id: 'bake-production',
    name: 'Bake on PROD',
    kind: 'bake',
    environment: 'production',
    probe: {
      type: 'prometheus',
      url: 'http://127.0.0.1:9090',
      selector: { job: 'edm-web-production' },
      scrapeIntervalMs: 1_000,
    },
    durationMs: 10_000,
    thresholds: {
      healthConsecutiveFailures: 3,
      errorRatePercent: 5,
      p95PercentOfBaseline: 200,
      minRequests: 20,
      baselineFloorMs: 5,
    },
    settings,
    baselineStepId: 'baseline-production',
  },
];

async function rolledBack(): Promise<ReleaseView> {
  const view = await awaitingApproval();
  const policy: RollbackPolicy = {
    deciders: {
      test: [{ identity: 'ops-wang', roles: ['deploy'] }],
      production: [
        { identity: 'ops-wang', roles: ['deploy'] },
        { identity: 'oncall-zhou', roles: ['deploy'] },
      ],
    },
    twoPersonEnvironments: ['production'],
    afterSuccessMs: 3_600_000,
    guidedSteps: ['verify-production'],
    skippableVerifications: [],
    verification: {},
  };
  return {
    ...view,
    status: 'rolled-back',
    finishedAt: new Date('2026-11-05T03:00:00Z'),
    pendingGate: null,
    plan: { ...view.plan, steps: [...view.plan.steps, ...ROLLBACK_ERA_STEPS], rollback: policy },
    rollbackPlan: [
      {
        id: 'deploy-production.switch-back',
        stepId: 'deploy-production',
        environment: 'production',
        description: 'switch edm-web in production back to blue',
        action: { kind: 'switch-traffic-back', to: 'blue', from: 'green' },
        status: 'done',
        startedAt: '2026-11-05T02:59:00.000Z',
        finishedAt: '2026-11-05T02:59:01.250Z',
      },
      {
        id: 'migrate-production.down',
        stepId: 'migrate-production',
        environment: 'production',
        description: 'migrate the edm-web database back to 001',
        action: { kind: 'migrate-down', migrationId: '001', fromMigrationId: '002', backupId: 'b-1' },
        status: 'pending',
      },
    ],
    decisions: [
      ...view.decisions,
      {
        seq: 3,
        decisionId: 'd-3',
        gateId: 'release',
        actor: 'ops-wang',
        roles: ['read', 'operate', 'deploy'],
        decision: 'rollback',
        comment: 'errors after the switch',
        at: '2026-11-05T02:58:00.000Z',
        outcome: 'counted',
        via: 'update',
      },
    ],
    rollback: {
      cause: 'manual',
      reason: 'errors after the switch',
      orderedBy: ['ops-wang', 'oncall-zhou'],
      startedAt: '2026-11-05T02:59:00.000Z',
      finishedAt: '2026-11-05T02:59:04.000Z',
      durationMs: 4_000,
      verification: [
        {
          environment: 'production',
          passed: true,
          items: [{ name: 'health', passed: true, detail: '200 from /healthz' }],
        },
      ],
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

  it('lists the checklist in plan order: automated items with what they check, manual ones with who confirmed', async () => {
    const view = await awaitingApproval();
    view.plan.steps.push({
      id: 'user-feedback',
      name: 'User feedback collected',
      environment: 'production',
      checklist: { phase: 'post', item: 'user feedback collected' },
      kind: 'confirm',
      role: 'tech-lead',
      roster: [{ identity: 'tl-zhang', roles: ['tech-lead'] }],
      prompt: 'Feedback collected',
    });
    view.steps.push({
      id: 'user-feedback',
      name: 'User feedback collected',
      kind: 'confirm',
      environment: 'production',
      status: 'succeeded',
      startedAt: '2026-11-05T03:00:00.000Z',
      finishedAt: '2026-11-05T03:10:00.000Z',
      detail: {
        confirmedBy: 'tl-zhang',
        role: 'tech-lead',
        note: 'queue quiet',
        at: '2026-11-05T03:10:00.000Z',
      },
    });
    const json = releaseJson(view, temporalUrlFor);
    expect(ReleaseSchema.safeParse(json).error).toBeUndefined();
    const tagged = view.plan.steps.filter((step) => step.checklist).map((step) => step.id);
    expect(json.checklist.map((item) => item.stepId)).toEqual(tagged);
    expect(json.checklist.find((item) => item.stepId === 'integration-tests')).toMatchObject({
      phase: 'pre',
      item: 'tests passed',
      kind: 'automated',
      status: 'pending',
      checks: expect.stringContaining('integration-test'),
      result: null,
      confirmedBy: null,
    });
    expect(json.checklist.at(-1)).toEqual({
      phase: 'post',
      item: 'user feedback collected',
      stepId: 'user-feedback',
      environment: 'production',
      kind: 'manual',
      status: 'succeeded',
      checks: null,
      result: null,
      error: null,
      role: 'tech-lead',
      confirmedBy: 'tl-zhang',
      confirmedAt: '2026-11-05T03:10:00.000Z',
      note: 'queue quiet',
    });
  });

  it('links to Temporal Web, preferring the stored link', async () => {
    const view = await awaitingApproval();
    expect(releaseJson(view, temporalUrlFor).temporalUrl).toBe(temporalUrlFor(view.id));
    const stored = { ...view, temporalUrl: 'http://stored.example/x' };
    expect(releaseJson(stored, temporalUrlFor).temporalUrl).toBe('http://stored.example/x');
  });
});

describe('the rollback view', () => {
  it('matches the published schema, with every new step kind in the plan', async () => {
    const json = releaseJson(await rolledBack(), temporalUrlFor);
    expect(ReleaseSchema.safeParse(json).error).toBeUndefined();
  });

  it('shows the new step kinds with what each runs and measures', async () => {
    const steps = releaseJson(await rolledBack(), temporalUrlFor).plan.steps;
    const byId = new Map(steps.map((step) => [step.id, step]));
    expect(byId.get('deploy-sender')).toMatchObject({
      kind: 'deploy',
      strategy: 'rolling',
      batchSize: 2,
      driver: { actions: { instances: { argv: ['demo-target', 'instances'] }, update: {}, check: {} } },
    });
    expect(byId.get('migrate-production')).toMatchObject({
      kind: 'migrate',
      database: {
        urlEnv: 'EDM_WEB_PRODUCTION_DATABASE_URL',
        actions: { down: { argv: ['demo-target', 'down'] } },
      },
    });
    expect(byId.get('baseline-production')).toMatchObject({
      kind: 'baseline',
      probe: { type: 'http', url: 'http://127.0.0.1:4130' },
      durationMs: 2_000,
    });
    expect(byId.get('bake-production')).toMatchObject({
      kind: 'bake',
      probe: { type: 'prometheus', url: 'http://127.0.0.1:9090', selector: { job: 'edm-web-production' } },
      thresholds: { errorRatePercent: 5, p95PercentOfBaseline: 200 },
      baselineStepId: 'baseline-production',
    });
  });

  it('shows the rollback plan in the order it runs, with what ran and how long it took', async () => {
    const { rollbackPlan } = releaseJson(await rolledBack(), temporalUrlFor);
    expect(rollbackPlan.map((entry) => [entry.id, entry.status, entry.durationMs])).toEqual([
      ['deploy-production.switch-back', 'done', 1_250],
      ['migrate-production.down', 'pending', null],
    ]);
    expect(rollbackPlan[0]).toMatchObject({
      startedAt: '2026-11-05T02:59:00.000Z',
      finishedAt: '2026-11-05T02:59:01.250Z',
    });
    expect(rollbackPlan[1]).toMatchObject({
      startedAt: null,
      finishedAt: null,
      action: { kind: 'migrate-down', migrationId: '001', backupId: 'b-1' },
    });
  });

  it('shows why and how it was rolled back, and who may order one', async () => {
    const view = await rolledBack();
    const json = releaseJson(view, temporalUrlFor);
    // A manual rollback has no trigger: null, not a missing field.
    expect(json.rollback).toEqual({ ...view.rollback, automatic: null });
    expect(json.plan.rollback).toEqual({
      deciders: { test: ['ops-wang'], production: ['ops-wang', 'oncall-zhou'] },
      twoPersonEnvironments: ['production'],
      afterSuccessMs: 3_600_000,
      guidedSteps: ['verify-production'],
      skippableVerifications: [],
    });
    // An order is a decision like any other, but not an approval.
    expect(json.decisions.at(-1)).toMatchObject({
      gateId: 'release',
      decision: 'rollback',
      outcome: 'counted',
    });
    expect(json.approvals.map((approval) => approval.decision)).toEqual(['approve']);
  });

  it('shows a failure waiting for a decision, a rollback waiting for its second person, and the window', async () => {
    const { rollback: _policy, ...planBeforeRollback } = (await awaitingApproval()).plan;
    const view = { ...(await awaitingApproval()), plan: planBeforeRollback };
    const json = releaseJson(
      {
        ...view,
        status: 'waiting-decision',
        pendingGate: null,
        pendingDecision: {
          gateId: 'guided:verify-production',
          kind: 'step',
          subject: 'verify-production',
          environment: 'production',
          reason: 'health answered 503',
          options: ['retry', 'rollback', 'abort'],
          since: '2026-11-05T02:30:00.000Z',
        },
        pendingRollbackOrder: {
          requestedBy: 'ops-wang',
          reason: 'errors',
          at: '2026-11-05T02:31:00.000Z',
          environment: 'production',
        },
        rollbackOpenUntil: new Date('2026-11-05T04:00:00Z'),
      },
      temporalUrlFor,
    );
    expect(ReleaseSchema.safeParse(json).error).toBeUndefined();
    expect(json.pendingDecision).toMatchObject({
      gateId: 'guided:verify-production',
      options: ['retry', 'rollback', 'abort'],
    });
    expect(json.pendingRollbackOrder).toEqual({
      requestedBy: 'ops-wang',
      reason: 'errors',
      at: '2026-11-05T02:31:00.000Z',
      environment: 'production',
    });
    expect(json.rollbackOpenUntil).toBe('2026-11-05T04:00:00.000Z');
    // Releases started before rollback existed have no policy.
    expect(json.plan.rollback).toBeNull();
  });
});

describe('the rollback view of someone who reads some environments only', () => {
  it('hides the decisions, orders, checks and deciders of the environments they cannot read', async () => {
    const view = await rolledBack();
    const pendingDecision = {
      gateId: 'guided:verify-production',
      kind: 'step' as const,
      subject: 'verify-production',
      environment: 'production',
      reason: 'health answered 503',
      options: ['retry' as const],
      since: '2026-11-05T02:30:00.000Z',
    };
    const pendingRollbackOrder = {
      requestedBy: 'ops-wang',
      reason: 'errors',
      at: view.rollback?.startedAt ?? '',
      environment: 'production',
    };
    const full = { ...view, pendingDecision, pendingRollbackOrder };
    const testOnly = visibleView(full, new Set(['test']));
    expect(testOnly.pendingDecision).toBeNull();
    expect(testOnly.pendingRollbackOrder).toBeNull();
    expect(testOnly.rollback?.verification).toEqual([]);
    expect(testOnly.rollbackPlan).toEqual([]);
    expect(testOnly.plan.rollback?.deciders).toEqual({ test: view.plan.rollback?.deciders.test });
    expect(testOnly.plan.rollback?.twoPersonEnvironments).toEqual([]);
    const everything = visibleView(full, new Set(['test', 'staging', 'production']));
    expect(everything.pendingDecision).toEqual(pendingDecision);
    expect(everything.rollback?.verification).toEqual(view.rollback?.verification);
    expect(everything.plan.rollback?.deciders).toEqual(view.plan.rollback?.deciders);
  });

  it('shows a failure that speaks of several environments only to readers of all of them', async () => {
    const view = await rolledBack();
    const failure = {
      step: 'deploy-staging',
      reason: 'rollback ordered; rolled back, but the rollback verification failed: test: user access (503)',
      environment: 'staging',
      environments: ['staging', 'test'],
    };
    const full = { ...view, failure };
    expect(visibleView(full, new Set(['staging', 'production'])).failure?.reason).toBe(HIDDEN);
    expect(visibleView(full, new Set(['test', 'staging'])).failure?.reason).toBe(failure.reason);
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

describe('planJson', () => {
  it('names every field of a step, and shows only the common ones of a step its kind cannot shape', () => {
    const plan = {
      type: 'regular',
      description: 'd',
      steps: [
        {
          id: 'smoke',
          name: 'Smoke',
          environment: 'test',
          kind: 'command',
          command: { argv: ['true'], timeoutMs: 1000, envFrom: {} },
          maxAttempts: 1,
          internal: 'never shown',
        },
        // A shape the command kind does not know (its command missing): nothing but the common fields.
        { id: 'odd', name: 'Odd', environment: 'test', kind: 'command', secretish: 'never shown' },
      ],
    } as unknown as ReleasePlan;
    const [shaped, unshaped] = planJson(plan).steps;
    expect(shaped).toEqual({
      id: 'smoke',
      name: 'Smoke',
      environment: 'test',
      checklist: null,
      kind: 'command',
      command: { argv: ['true'], timeoutMs: 1000, envFrom: {} },
      maxAttempts: 1,
    });
    expect(unshaped).toEqual({
      id: 'odd',
      name: 'Odd',
      environment: 'test',
      checklist: null,
      kind: 'command',
    });
  });
});
