import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { execa } from 'execa';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createTargetActivities } from '../../activities/target-activities.js';
import { principalFor } from '../../api/principal.js';
import { ReleaseService } from '../../api/release-service.js';
import { createPool } from '../../db/create-pool.js';
import { createLogger } from '../../logging/logger.js';
import { projectRoot } from '../../stack/temporal-binaries.js';
import { approvalSignal, decideUpdate } from '../../workflows/release-messages.js';
import type { DeployPlanStep, ReleasePlan } from '../../workflows/release-model.js';
import { ALWAYS_OPEN_CALENDAR } from '../support/always-open-calendar.js';
import { testDataConverter } from '../support/payload-keys.js';
import { releaseApi } from '../support/release-api.js';
import { releaseWorkflowBundle } from '../support/release-workflow-bundle.js';
import { startTestStack, type TestStack } from '../support/runway-stack.js';
import { claimFor, foreignDecisionKeys, signedBy, testDecisionKeys } from '../support/signed-decisions.js';

let stack: TestStack;
let db: pg.Pool;

beforeAll(async () => {
  stack = await startTestStack(await releaseWorkflowBundle());
  // The project's pool: a connection the server ends while the suite stops is logged, not thrown.
  db = createPool(stack.databaseUrl, createLogger('engine-integrity-db', { level: 'silent' }), 2);
});

afterAll(async () => {
  await db?.end();
  await stack?.stop();
});

const { api, requestRelease, getRelease, waitForStatus, servedVersion, recordHistoryForReplay } = releaseApi(
  () => stack,
);

/** Ends a release waiting at its gate, so the next test can start one (one per service). */
async function rejectAtGate(id: string): Promise<void> {
  await waitForStatus(id, ['awaiting-approval']);
  expect((await api('POST', `/releases/${id}/approvals`, 'tl-zhang', { decision: 'reject' })).status).toBe(
    202,
  );
  await waitForStatus(id, ['rejected']);
}

describe('decisions that cannot be forged', () => {
  it('refuses approvals and rejections sent straight to Temporal, records who claimed what, and counts only the API’s', async () => {
    const started = await requestRelease('2.0.0');
    expect(started.status).toBe(201);
    const id = started.body.id as string;
    await waitForStatus(id, ['awaiting-approval']);
    const handle = stack.runway.client.workflow.getHandle(id);
    // What `temporal workflow signal --name approval --input '{…}'` sends: identities that do not exist.
    await handle.signal(approvalSignal, {
      gateId: 'change-approval',
      approver: 'mallory',
      roles: ['pm'],
      decision: 'approve',
    } as never);
    await handle.signal(approvalSignal, {
      gateId: 'change-approval',
      approver: 'eve',
      roles: ['tech-lead'],
      decision: 'approve',
    } as never);
    // Well-formed claims for real approvers, signed with a key the workers do not hold.
    const forgedApproval = signedBy(foreignDecisionKeys, claimFor(id, 'pm-li', ['pm']));
    expect(await handle.executeUpdate(decideUpdate, { args: [forgedApproval] })).toMatchObject({
      outcome: 'refused',
      refusal: 'unverified',
    });
    await handle.signal(
      approvalSignal,
      signedBy(foreignDecisionKeys, claimFor(id, 'tl-zhang', ['tech-lead'], 'reject')),
    );
    // Signed correctly, but by someone the gate's roster does not know.
    await handle.signal(
      approvalSignal,
      signedBy(testDecisionKeys, claimFor(id, 'mallory', ['pm', 'tech-lead'])),
    );

    await expect.poll(async () => (await getRelease(id)).decisions.length, { timeout: 15_000 }).toBe(5);
    const waiting = await getRelease(id);
    expect(waiting.status).toBe('awaiting-approval');
    expect(waiting.pendingGate?.approvals).toEqual([]);
    expect(waiting.decisions.map((d) => [d.actor, d.decision, d.outcome, d.refusal, d.via])).toEqual([
      ['?', '?', 'refused', 'malformed', 'signal'],
      ['?', '?', 'refused', 'malformed', 'signal'],
      ['pm-li', 'approve', 'refused', 'unverified', 'update'],
      ['tl-zhang', 'reject', 'refused', 'unverified', 'signal'],
      ['mallory', 'approve', 'refused', 'not-eligible', 'signal'],
    ]);
    const rows = await db.query(
      'SELECT actor, outcome, refusal FROM release_decisions WHERE release_id = $1 ORDER BY seq',
      [id],
    );
    expect(rows.rows.map((row) => row.outcome)).toEqual([
      'refused',
      'refused',
      'refused',
      'refused',
      'refused',
    ]);
    expect(await servedVersion('production')).not.toBe('2.0.0');
    // R-AUDIT: the start and every refusal are in the audit trail, where admins list them.
    const audit = await api('GET', `/audit?target=${encodeURIComponent(id)}&limit=500`, 'admin-zhao');
    expect(audit.status).toBe(200);
    const events = (
      audit.body.events as {
        actor: string | null;
        action: string;
        environment: string | null;
        reason: string;
      }[]
    ).reverse();
    expect(events.filter((event) => event.action === 'releases.start')).toEqual([
      expect.objectContaining({ actor: 'ops-wang', outcome: 'allowed', status: 201 }),
    ]);
    const refusals = events
      .filter((event) => event.action === 'decision.refused-by-workflow')
      .map((event) => [event.actor, event.environment, event.reason.split(':')[0]]);
    expect(refusals).toEqual([
      [null, null, 'malformed'],
      [null, null, 'malformed'],
      ['pm-li', 'production', 'unverified'],
      ['tl-zhang', 'production', 'unverified'],
      ['mallory', 'production', 'not-eligible'],
    ]);

    // The real approvers, through the API, still decide.
    expect((await api('POST', `/releases/${id}/approvals`, 'pm-li', { decision: 'approve' })).body).toEqual({
      counted: true,
      missing: ['tech-lead'],
    });
    await rejectAtGate(id);
    await recordHistoryForReplay(id, 'v2-regular-release-forged-decisions-refused');
  });
});

describe('one release per service', () => {
  it('lets exactly one of 20 concurrent starts through; the 19 others name it', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) => requestRelease(`2.1.${index}`)),
    );
    const created = answers.filter((answer) => answer.status === 201);
    const conflicts = answers.filter((answer) => answer.status === 409);
    // The next test needs the service free, whatever this one finds.
    onTestFinished(async () => {
      for (const answer of created) await rejectAtGate(answer.body.id as string);
    });
    // Any other answer shows with its body, so a failure says what the odd start was told.
    expect(answers.filter((answer) => answer.status !== 201 && answer.status !== 409)).toEqual([]);
    expect(created).toHaveLength(1);
    expect(conflicts).toHaveLength(19);
    const id = created[0]?.body.id as string;
    for (const conflict of conflicts) {
      expect(conflict.body).toMatchObject({ error: { code: 'conflict', activeReleaseId: id } });
    }
    const running = [];
    for await (const workflow of stack.runway.client.workflow.list({
      query: `RunwayService = "edm-web" AND ExecutionStatus = "Running"`,
    })) {
      running.push(workflow.workflowId);
    }
    expect(running).toEqual([id]);
    const holders = await db.query("SELECT id FROM releases WHERE service = 'edm-web' AND holds_lock");
    expect(holders.rows).toEqual([{ id }]);
  });

  it('answers 409 to a start that arrives while an earlier one is still starting its workflow', async () => {
    const connection = await Connection.connect({ address: stack.temporal.address });
    const slowClient = new Client({ connection, namespace: 'default', dataConverter: testDataConverter });
    const start = slowClient.workflow.start.bind(slowClient.workflow);
    let startCalled!: () => void;
    const startReached = new Promise<void>((resolve) => {
      startCalled = resolve;
    });
    slowClient.workflow.start = (async (...args: Parameters<typeof start>) => {
      startCalled();
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      return start(...args);
    }) as typeof start;
    const slowService = new ReleaseService({
      client: slowClient,
      pool: stack.runway.pool,
      config: stack.config,
      logger: createLogger('slow-start', { level: 'warn' }),
      decisionKeys: testDecisionKeys,
      windowCalendar: ALWAYS_OPEN_CALENDAR,
    });
    try {
      const first = slowService.start(
        { type: 'regular', service: 'edm-web', version: '2.2.0' },
        principalFor('ops-wang', stack.config),
      );
      // A start refused before it reaches Temporal fails the test at once rather than at its timeout.
      await Promise.race([startReached, first]);
      const second = await requestRelease('2.2.1');
      const firstRelease = await first;
      expect(second).toMatchObject({ status: 409, body: { error: { activeReleaseId: firstRelease.id } } });
      await rejectAtGate(firstRelease.id);
      expect((await getRelease(firstRelease.id)).status).toBe('rejected');
      // The service is free again.
      const next = await slowService.start(
        { type: 'regular', service: 'edm-web', version: '2.2.2' },
        principalFor('ops-wang', stack.config),
      );
      await rejectAtGate(next.id);
    } finally {
      await connection.close();
    }
  });
});

describe('records', () => {
  it('fail the step whose write PostgreSQL refuses for good, instead of retrying for ever', async () => {
    const before = await servedVersion('test');
    await db.query(
      "ALTER TABLE release_steps ADD CONSTRAINT no_integration_tests CHECK (step_id <> 'integration-tests') NOT VALID",
    );
    try {
      const started = await requestRelease('2.3.0');
      const id = started.body.id as string;
      const failed = await waitForStatus(id, ['failed', 'succeeded', 'awaiting-approval'], 60_000);
      expect(failed.status).toBe('failed');
      expect(failed.failure?.step).toBe('integration-tests');
      expect(failed.failure?.reason).toMatch(/record could not be written.*no_integration_tests/);
      expect(await servedVersion('test')).toBe(before);
      // The record says `failed` first; the execution closes once its alerts have gone out.
      const closing = stack.runway.client.workflow.getHandle(id);
      await closing.result().catch(() => undefined);
      const execution = await closing.describe();
      expect(execution.status.name).toBe('FAILED');
      // TEST was put back, newest change first: traffic switched back, then the database migrated
      // down; both ran and are in the rollback plan in that order.
      expect(failed.rollbackPlan).toMatchObject([
        { id: 'deploy-test.switch-back', status: 'done', action: { kind: 'switch-traffic-back' } },
        { id: 'migrate-test.down', status: 'done', action: { kind: 'migrate-down' } },
      ]);
      await recordHistoryForReplay(id, 'v2-regular-release-record-refused-compensated');
    } finally {
      await db.query('ALTER TABLE release_steps DROP CONSTRAINT no_integration_tests');
    }
  });
});

describe('cancellation', () => {
  it('ends a release cancelled in the middle of a driver action `cancelled`, with its environment put back', async () => {
    const before = await servedVersion('staging');
    const started = await requestRelease('2.4.0+slow');
    const id = started.body.id as string;
    // Cancel while STAGING's idle colour is being checked: a driver action that takes seconds on a
    // slow build (every answer takes 600 ms). Once STAGING's idle colour runs the new version, a
    // started checkColour can only be STAGING's; asking Temporal for it makes the cancellation land
    // in the middle of the action, not between two activities.
    const agent = stack.config.environments.staging?.services['edm-web']?.vars.agent as string;
    const handle = stack.runway.client.workflow.getHandle(id);
    const stagingRunsNewVersion = async () => {
      const status = (await (await fetch(`${agent}/environments/staging`)).json()) as {
        colours: Record<string, { version: string; running: boolean } | null>;
      };
      return Object.values(status.colours).some(
        (colour) => colour?.version === '2.4.0+slow' && colour.running,
      );
    };
    const checkRunning = async () => {
      const { raw } = await handle.describe();
      return (raw.pendingActivities ?? []).some(
        (activity) =>
          activity.activityType?.name === 'checkColour' &&
          activity.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
      );
    };
    await expect
      .poll(async () => (await stagingRunsNewVersion()) && (await checkRunning()), {
        timeout: 60_000,
        interval: 50,
      })
      .toBe(true);
    await handle.cancel();
    const cancelled = await waitForStatus(id, ['cancelled', 'failed', 'succeeded', 'awaiting-approval']);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.failure?.step).toBe('deploy-staging');
    expect(await servedVersion('staging')).toBe(before);
    await handle.result().catch(() => undefined);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    // The cancellation reached a running driver action, which ended as cancelled (not failed).
    const history = await handle.fetchHistory();
    expect(history.events?.some((event) => event.activityTaskCanceledEventAttributes)).toBe(true);
    expect(history.events?.some((event) => event.activityTaskFailedEventAttributes)).toBe(false);
    await recordHistoryForReplay(id, 'v2-regular-release-cancelled-mid-action');
  });
});

describe('compare-and-swap on the target', () => {
  it('refuses to deploy onto a colour whose traffic someone switched to by hand', async () => {
    const ctl = (args: string[]) =>
      execa(process.execPath, ['--import', 'tsx', 'demo/bin/edm-ctl.ts', ...args], {
        cwd: projectRoot,
        reject: false,
      });
    const agent = stack.config.environments.test?.services['edm-web']?.vars.agent as string;
    const status = JSON.parse((await ctl(['status', '--agent', agent, '--env', 'test'])).stdout) as {
      activeColour: 'blue' | 'green';
    };
    const seen = status.activeColour;
    const idle: 'blue' | 'green' = seen === 'blue' ? 'green' : 'blue';
    // The release inspected the target and saw `seen` active; then someone deployed the idle colour
    // and switched traffic to it by hand.
    const byHand = ['--agent', agent, '--env', 'test', '--colour', idle];
    expect((await ctl(['deploy', ...byHand, '--version', '1.9.0'])).exitCode).toBe(0);
    expect((await ctl(['switch', ...byHand])).exitCode).toBe(0);
    const plan = (await getReleasePlan()) as ReleasePlan;
    const deployStep = plan.steps.find((step) => step.id === 'deploy-test') as DeployPlanStep;
    if (deployStep.strategy !== 'blue-green') throw new Error('edm-web deploys blue-green');
    const activities = createTargetActivities({
      pool: stack.runway.pool,
      logger: createLogger('cas', { level: 'warn' }),
      workingDirectory: projectRoot,
      decisionKeys: testDecisionKeys,
      calendar: ALWAYS_OPEN_CALENDAR,
    });
    const attempt = new MockActivityEnvironment().run(activities.deployToColour, {
      releaseId: 'cas-test',
      service: 'edm-web',
      environment: 'test',
      driver: deployStep.driver,
      colour: idle,
      version: '2.5.0',
      expectActive: seen,
      key: 'cas-test/deploy-test/deploy',
    });
    const error = await attempt.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'TargetChanged', nonRetryable: true });
    expect(await servedVersion('test')).not.toBe('2.5.0');
    // Put traffic back where it was for the tests after this one.
    expect((await ctl(['switch', '--agent', agent, '--env', 'test', '--colour', seen])).exitCode).toBe(0);
  });
});

/** The plan the API resolves for a release of edm-web, from a dry run. */
async function getReleasePlan(): Promise<unknown> {
  const { body } = await api('POST', '/releases', 'ops-wang', {
    type: 'regular',
    service: 'edm-web',
    version: '2.5.0',
    dryRun: true,
  });
  // The dry run shows commands as planned; the driver spec the workflow gets has the same argv.
  const plan = body.plan as {
    steps: {
      id: string;
      driver?: {
        actions: Record<string, { argv: string[]; timeoutMs: number; envFrom: Record<string, string> }>;
      };
    }[];
  };
  return plan;
}

describe('reading per environment', () => {
  it('shows a TEST-only reader the release, but nothing of the environments they cannot read', async () => {
    const started = await requestRelease('2.6.0');
    const id = started.body.id as string;
    await waitForStatus(id, ['awaiting-approval']);
    const qa = await getRelease(id, 'qa-sun');
    expect(qa.environments).toEqual(['test', 'staging', 'production']);
    expect(new Set(qa.steps.map((step) => step.environment))).toEqual(new Set(['test']));
    expect(qa.plan.steps.map((step) => step.id)).toEqual([
      'migrate-test',
      'deploy-test',
      'error-logs-test',
      'db-connectivity-test',
      'key-functions-test',
      'performance-test',
      'monitoring-test',
      'integration-tests',
    ]);
    expect(qa.pendingGate).toBeNull();
    expect(JSON.stringify(qa.plan)).not.toContain('4130');
    const everyone = await getRelease(id, 'dev-chen');
    expect(everyone.plan.steps).toHaveLength(21);
    expect(everyone.pendingGate?.gateId).toBe('change-approval');
    const listed = await api('GET', '/releases?service=edm-web', 'qa-sun');
    const row = (
      listed.body.releases as { id: string; currentStep: string | null; currentEnvironment: string | null }[]
    ).find((release) => release.id === id);
    // Listed, but not where in PROD it stands.
    expect(row).toMatchObject({ currentStep: null, currentEnvironment: null });
    await rejectAtGate(id);
  });
});

describe('the release calendar', () => {
  it('shows the windows and freezes of an environment, exactly, from the calendar the stack declares', async () => {
    const range = 'environment=production&from=2026-11-30T00:00:00.000Z&to=2026-12-03T00:00:00.000Z';
    const answer = await api('GET', `/calendar?${range}`, 'qa-sun');
    expect(answer.status).toBe(403);
    const calendar = await api('GET', `/calendar?${range}`, 'dev-chen');
    expect(calendar).toEqual({
      status: 200,
      body: {
        environment: 'production',
        timeZone: 'Asia/Shanghai',
        holidayDataUntil: '2026-12-21T07:59:00.000Z',
        windows: [
          { start: '2026-11-30T02:00:00.000Z', end: '2026-11-30T04:00:00.000Z' },
          { start: '2026-11-30T06:00:00.000Z', end: '2026-11-30T08:00:00.000Z' },
          { start: '2026-12-02T02:00:00.000Z', end: '2026-12-02T04:00:00.000Z' },
          { start: '2026-12-02T06:00:00.000Z', end: '2026-12-02T08:00:00.000Z' },
        ],
        freezes: [
          { start: '2026-11-30T16:00:00.000Z', end: '2026-12-01T16:00:00.000Z', reason: 'annual audit' },
        ],
      },
    });
  });

  it('answers 422 past the holiday data and 400 to a range that is not one', async () => {
    const past = await api(
      'GET',
      '/calendar?environment=production&from=2026-12-20T00:00:00Z&to=2027-01-05T00:00:00Z',
      'dev-chen',
    );
    expect(past).toMatchObject({ status: 422, body: { error: { code: 'unprocessable' } } });
    expect((past.body.error as { message: string }).message).toContain('holiday data until 2026-12-28');
    const backwards = await api(
      'GET',
      '/calendar?environment=production&from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z',
      'dev-chen',
    );
    expect(backwards.status).toBe(422);
  });
});

describe('reconciliation', () => {
  it('closes the record of a release whose workflow was deleted from Temporal', async () => {
    const started = await requestRelease('2.8.0');
    const id = started.body.id as string;
    await waitForStatus(id, ['awaiting-approval']);
    await stack.runway.client.workflowService.deleteWorkflowExecution({
      namespace: stack.config.settings.temporal.namespace,
      workflowExecution: { workflowId: id },
    });
    const closed = await waitForStatus(id, ['abandoned']);
    expect(closed.failure?.reason).toBe('its workflow no longer exists in Temporal');
    // The service is free for the next release.
    const next = await requestRelease('2.8.1');
    expect(next.status).toBe(201);
    await rejectAtGate(next.body.id as string);
  });
});
