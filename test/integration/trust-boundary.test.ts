// The trust boundary on the real stack, as an attacker with network access to Temporal's frontend
// would try it: starting any registered workflow type with a crafted input, re-running, resetting or
// replaying a release, signalling and updating in clear. Each attempt must do nothing — no command
// run, no target moved, no decision counted — and leave its refusal in the audit trail.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, type WorkflowIdReusePolicy } from '@temporalio/client';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { temporal } from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { principalFor } from '../../api/principal.js';
import { ReleaseReconciler } from '../../api/services/release-reconciler.js';
import { ReleaseStarter } from '../../api/services/release-starter.js';
import { createPool } from '../../db/create-pool.js';
import { getRelease as getReleaseRow } from '../../db/release-records.js';
import { readActionLog } from '../../demo/target/action-log.js';
import { createLogger } from '../../logging/logger.js';
import { loadRunbook } from '../../runbooks/load-runbook.js';
import { resolveReleasePlan } from '../../runbooks/resolve-release-plan.js';
import { authoriseStart } from '../../security/start-authority.js';
import { projectRoot } from '../../stack/temporal-binaries.js';
import { createReleaseWorker } from '../../worker/create-release-worker.js';
import { approvalSignal, decideUpdate } from '../../workflows/release-messages.js';
import type { PlanStep, ReleaseInput, ReleasePlan } from '../../workflows/release-model.js';
import { ALWAYS_OPEN_CALENDAR } from '../support/always-open-calendar.js';
import { testDataConverter, testWorkerDataConverter } from '../support/payload-keys.js';
import { releaseApi } from '../support/release-api.js';
import { releaseWorkflowBundle } from '../support/release-workflow-bundle.js';
import { startTestStack, type TestStack } from '../support/runway-stack.js';
import { claimFor, foreignDecisionKeys, signedBy, testDecisionKeys } from '../support/signed-decisions.js';

let stack: TestStack;
let db: pg.Pool;
/** Reaches Temporal with no payload key: everything it sends is in clear. */
let outsider: Client;
/** Reaches Temporal with the payload key (leaked), but not the API's signing key. */
let insider: Client;

beforeAll(async () => {
  stack = await startTestStack(await releaseWorkflowBundle());
  db = createPool(stack.databaseUrl, createLogger('trust-boundary-db', { level: 'silent' }), 2);
  const connection = await Connection.connect({ address: stack.temporal.address });
  outsider = new Client({ connection, namespace: 'default' });
  insider = new Client({ connection, namespace: 'default', dataConverter: testDataConverter });
});

afterAll(async () => {
  await outsider?.connection.close();
  await db?.end();
  await stack?.stop();
});

const { api, requestRelease, getRelease, waitForStatus, servedVersion, recordHistoryForReplay } = releaseApi(
  () => stack,
);
const taskQueue = () => stack.config.settings.temporal.taskQueue;

/** A file a command would write if it ran; it must never exist. */
const markerPath = (name: string) => join(tmpdir(), `runway-pwned-${name}-${process.pid}`);

/** `node -e` writing the marker, with Runway's decision keys asked for by name. */
function markerCommand(name: string) {
  return {
    argv: [
      process.execPath,
      '-e',
      `require("fs").writeFileSync(${JSON.stringify(markerPath(name))}, String(process.env.K))`,
    ],
    timeoutMs: 10_000,
    envFrom: { K: 'RUNWAY_DECISION_KEYS' },
  };
}

/** A plan whose first step writes the marker and whose next deploys 9.9.9 to production. */
async function craftedPlan(name: string): Promise<ReleasePlan> {
  const real = resolveReleasePlan({
    runbook: await loadRunbook('regular'),
    config: stack.config,
    service: 'edm-web',
    version: '9.9.9',
  });
  const deploy = real.steps.find(
    (step) => step.kind === 'deploy' && step.environment === 'production',
  ) as PlanStep;
  const command: PlanStep = {
    kind: 'command',
    id: 'pwn',
    name: 'pwn',
    environment: 'production',
    command: markerCommand(name),
    maxAttempts: 1,
  };
  return { type: 'regular', description: 'crafted', steps: [command, deploy] };
}

function craftedInput(id: string, plan: ReleasePlan): ReleaseInput {
  return {
    releaseId: id,
    type: 'regular',
    service: 'edm-web',
    version: '9.9.9',
    requestedBy: 'mallory',
    plan,
  };
}

/** Waits until the execution is closed; its status and how long that took since `since`. */
async function closedWithin(client: Client, workflowId: string, since: number, runId?: string) {
  const handle = client.workflow.getHandle(workflowId, runId);
  for (;;) {
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') return { status: status.name, ms: Date.now() - since };
    if (Date.now() - since > 60_000) return { status: status.name, ms: Date.now() - since };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function auditOf(target: string) {
  const { rows } = await db.query(
    'SELECT actor, action, outcome, reason FROM audit_events WHERE target = $1 ORDER BY id',
    [target],
  );
  return rows as { actor: string | null; action: string; outcome: string; reason: string }[];
}

const actionsSince = (time: number) =>
  readActionLog(stack.demoActionLogFile).filter((entry) => Date.parse(entry.time) >= time);

/** The input and start authority a release's workflow was started with, as the API sent them. */
async function startArgumentsOf(id: string): Promise<unknown[]> {
  const history = await stack.runway.client.workflow.getHandle(id).fetchHistory();
  const payloads = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  return decodeArrayFromPayloads(stack.runway.client.options.loadedDataConverter, payloads);
}

/** Ends a release waiting at its gate, so the next test can start one (one per service). */
async function rejectAtGate(id: string): Promise<void> {
  await waitForStatus(id, ['awaiting-approval']);
  expect((await api('POST', `/releases/${id}/approvals`, 'tl-zhang', { decision: 'reject' })).status).toBe(
    202,
  );
  await waitForStatus(id, ['rejected']);
}

describe('workflows started directly in Temporal', () => {
  it('runs no command for an inspection started with one: no file, no key, refused and recorded', async () => {
    const before = Date.now();
    for (const [client, id] of [
      [outsider, 'attack-inspect-clear'],
      [insider, 'attack-inspect-sealed'],
    ] as const) {
      await client.workflow.start('inspectTargetWorkflow', {
        taskQueue: taskQueue(),
        workflowId: id,
        args: [
          {
            service: 'edm-web',
            environment: 'production',
            strategy: 'rolling',
            command: markerCommand(id),
          },
        ],
      });
      const closed = await closedWithin(client, id, Date.now());
      expect(closed.status).toBe('FAILED');
      expect(closed.ms).toBeLessThan(30_000);
      expect(existsSync(markerPath(id))).toBe(false);
      expect(await auditOf(id)).toEqual([
        expect.objectContaining({ actor: null, action: 'workflow.start-refused', outcome: 'refused' }),
      ]);
    }
    expect(actionsSince(before)).toEqual([]);
  });

  it('makes no request for a health check started directly: unsigned, forged, or with a replayed authority', async () => {
    // Where an attacker would like the worker to send a request: it must never hear one.
    let heard = 0;
    const bait: Server = createServer((_request, response) => {
      heard++;
      response.end('{}');
    });
    await new Promise<void>((resolve) => bait.listen(0, '127.0.0.1', resolve));
    const baitUrl = `http://127.0.0.1:${(bait.address() as { port: number }).port}`;
    try {
      // A check Runway's API started: its input and authority, as anyone reading the history has them.
      expect(
        (await api('GET', '/services/edm-web/environments/test/health?timeout=5', 'qa-sun')).status,
      ).toBe(200);
      let legitimate = '';
      await expect
        .poll(
          async () => {
            for await (const execution of stack.runway.client.workflow.list({
              query: 'WorkflowType = "checkHealthWorkflow" AND WorkflowId STARTS_WITH "health-edm-web-test-"',
            })) {
              legitimate = execution.workflowId;
            }
            return legitimate;
          },
          { timeout: 10_000 },
        )
        .not.toBe('');
      const [input, authority] = (await startArgumentsOf(legitimate)) as [Record<string, unknown>, unknown];
      const naming = { url: baitUrl, baseUrl: baitUrl, command: markerCommand('health') };
      const forgedInput = { service: 'edm-web', environment: 'production', timeoutMs: 1_000, ...naming };
      const attempts: { client: Client; id: string; args: unknown[]; because?: RegExp }[] = [
        { client: outsider, id: 'attack-health-clear', args: [forgedInput] },
        { client: insider, id: 'attack-health-sealed', args: [forgedInput], because: /no start authority/ },
        {
          client: insider,
          id: 'attack-health-forged',
          args: [
            forgedInput,
            authoriseStart(foreignDecisionKeys, 'checkHealthWorkflow', 'attack-health-forged', forgedInput),
          ],
          because: /signature does not match/,
        },
        // The API's own authority, under its own id, for another service, or with an endpoint added.
        {
          client: insider,
          id: legitimate,
          args: [{ ...input, service: 'edm-sender' }, authority],
          because: /not the one Runway’s API signed/,
        },
        {
          client: insider,
          id: legitimate,
          args: [{ ...input, ...naming }, authority],
          because: /not the one Runway’s API signed/,
        },
        {
          client: insider,
          id: 'attack-health-replayed',
          args: [input, authority],
          because: /for workflow id/,
        },
      ];
      for (const { client, id, args, because } of attempts) {
        const started = await client.workflow.start('checkHealthWorkflow', {
          taskQueue: taskQueue(),
          workflowId: id,
          args,
        });
        const closed = await closedWithin(client, id, Date.now(), started.firstExecutionRunId);
        expect(closed.status, id).toBe('FAILED');
        expect(closed.ms, id).toBeLessThan(30_000);
        const refusal = (await auditOf(id)).at(-1);
        expect(refusal, id).toMatchObject({
          actor: null,
          action: 'workflow.start-refused',
          outcome: 'refused',
        });
        if (because) expect(refusal?.reason, id).toMatch(because);
      }
      // The API's own check was never refused, and each attempt on its id added one refusal.
      expect((await auditOf(legitimate)).map((entry) => entry.action)).toEqual([
        'workflow.start-refused',
        'workflow.start-refused',
      ]);
      expect(heard).toBe(0);
      expect(existsSync(markerPath('health'))).toBe(false);
    } finally {
      await new Promise((resolve) => bait.close(resolve));
    }
  });

  it('runs nothing for a crafted v2 or v1 release, in clear, sealed, or with a forged authority', async () => {
    const before = Date.now();
    const production = await servedVersion('production');
    const attempts: { client: Client; type: string; id: string; forged?: boolean }[] = [
      { client: outsider, type: 'releaseWorkflowV2', id: 'attack-v2-clear' },
      { client: insider, type: 'releaseWorkflowV2', id: 'attack-v2-sealed' },
      { client: insider, type: 'releaseWorkflowV2', id: 'attack-v2-forged', forged: true },
      { client: outsider, type: 'releaseWorkflow', id: 'attack-v1-clear' },
      { client: insider, type: 'releaseWorkflow', id: 'attack-v1-sealed' },
    ];
    for (const { client, type, id, forged } of attempts) {
      const input = craftedInput(id, await craftedPlan(id));
      const args = forged ? [input, authoriseStart(foreignDecisionKeys, type, id, input)] : [input];
      await client.workflow.start(type, { taskQueue: taskQueue(), workflowId: id, args });
      const closed = await closedWithin(client, id, Date.now());
      expect(closed, id).toMatchObject({ status: 'FAILED' });
      expect(closed.ms, id).toBeLessThan(30_000);
      expect(existsSync(markerPath(id)), id).toBe(false);
      const audit = await auditOf(id);
      expect(audit, id).toEqual([expect.objectContaining({ actor: null, action: 'workflow.start-refused' })]);
      if (forged) expect(audit[0]?.reason).toMatch(/signature does not match/);
      if (id === 'attack-v2-sealed') await recordHistoryForReplay(id, 'v2-start-refused');
    }
    expect(actionsSince(before)).toEqual([]);
    expect(await servedVersion('production')).toBe(production);
  });

  it('refuses a legitimate start’s input and authority replayed under another id', async () => {
    const started = await requestRelease('3.1.0');
    expect(started.status).toBe(201);
    const id = started.body.id as string;
    await waitForStatus(id, ['awaiting-approval']);
    const [input, authority] = await startArgumentsOf(id);
    const before = Date.now();
    await insider.workflow.start('releaseWorkflowV2', {
      taskQueue: taskQueue(),
      workflowId: `${id}-replayed`,
      args: [input, authority],
    });
    expect(await closedWithin(insider, `${id}-replayed`, Date.now())).toMatchObject({ status: 'FAILED' });
    const [refusal] = await auditOf(`${id}-replayed`);
    expect(refusal?.reason).toMatch(/for workflow id .* not .*-replayed/);
    expect(actionsSince(before)).toEqual([]);
    await rejectAtGate(id);
  });

  it('ends a refused start within 30 s with PostgreSQL down', async () => {
    const queue = `trust-boundary-no-db-${process.pid}`;
    const connection = await NativeConnection.connect({ address: stack.temporal.address });
    const deadPool = createPool(
      'postgres://runway:x@127.0.0.1:1/runway',
      createLogger('dead', { level: 'silent' }),
      1,
    );
    const worker = await createReleaseWorker({
      connection,
      namespace: 'default',
      taskQueue: queue,
      pool: deadPool,
      logger: createLogger('no-db-worker', { level: 'silent' }),
      workingDirectory: projectRoot,
      decisionKeys: testDecisionKeys,
      config: stack.config,
      calendar: ALWAYS_OPEN_CALENDAR,
      dataConverter: testWorkerDataConverter,
      workflowBundle: await releaseWorkflowBundle(),
    });
    try {
      await worker.runUntil(async () => {
        const id = 'attack-v2-no-db';
        await insider.workflow.start('releaseWorkflowV2', {
          taskQueue: queue,
          workflowId: id,
          args: [craftedInput(id, await craftedPlan(id))],
        });
        const closed = await closedWithin(insider, id, Date.now());
        expect(closed.status).toBe('FAILED');
        expect(closed.ms).toBeLessThan(30_000);
        expect(existsSync(markerPath(id))).toBe(false);
      });
    } finally {
      await connection.close();
      await deadPool.end();
    }
  });
});

describe('a release run again, reset or talked to in clear', () => {
  it('acts for no one when re-run under a release’s id, with every conflict and reuse policy', async () => {
    const started = await requestRelease('3.2.0');
    const id = started.body.id as string;
    await waitForStatus(id, ['awaiting-approval']);
    const [input, authority] = await startArgumentsOf(id);
    const before = Date.now();
    const firstRun = (await getReleaseRow(db, id))?.runId;

    // While it runs: USE_EXISTING starts nothing; TERMINATE_EXISTING ends the release (what anyone
    // who may terminate can do) and its own run is refused.
    const existing = await insider.workflow.start('releaseWorkflowV2', {
      taskQueue: taskQueue(),
      workflowId: id,
      args: [input, authority],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    expect(existing.firstExecutionRunId).toBe(firstRun);
    const rerun = await insider.workflow.start('releaseWorkflowV2', {
      taskQueue: taskQueue(),
      workflowId: id,
      args: [input, authority],
      workflowIdConflictPolicy: 'TERMINATE_EXISTING',
    });
    expect(rerun.firstExecutionRunId).not.toBe(firstRun);
    expect(await closedWithin(insider, id, Date.now(), rerun.firstExecutionRunId)).toMatchObject({
      status: 'FAILED',
    });
    // The record follows the run the API started: terminated outside Runway.
    expect((await waitForStatus(id, ['abandoned'])).status).toBe('abandoned');

    // Once it has ended, each reuse policy that lets a new run start gets a refused one.
    for (const policy of ['ALLOW_DUPLICATE', 'ALLOW_DUPLICATE_FAILED_ONLY'] as WorkflowIdReusePolicy[]) {
      const again = await insider.workflow.start('releaseWorkflowV2', {
        taskQueue: taskQueue(),
        workflowId: id,
        args: [input, authority],
        workflowIdReusePolicy: policy,
      });
      expect(await closedWithin(insider, id, Date.now(), again.firstExecutionRunId), policy).toMatchObject({
        status: 'FAILED',
      });
    }
    await expect(
      insider.workflow.start('releaseWorkflowV2', {
        taskQueue: taskQueue(),
        workflowId: id,
        args: [input, authority],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      }),
    ).rejects.toThrow(/already started/i);
    const refusals = (await auditOf(id)).filter((entry) => entry.action === 'workflow.start-refused');
    expect(refusals).toHaveLength(3);
    expect(refusals[0]?.reason).toMatch(/another run holds release/);
    expect(actionsSince(before)).toEqual([]);
    expect((await getReleaseRow(db, id))?.runId).toBe(firstRun);
  });

  it('moves no target when a release past its approvals is reset', async () => {
    const started = await requestRelease('3.3.0');
    const id = started.body.id as string;
    await waitForStatus(id, ['awaiting-approval']);
    for (const [who, role] of [
      ['pm-li', 'pm'],
      ['tl-zhang', 'tech-lead'],
    ]) {
      expect(
        (await api('POST', `/releases/${id}/approvals`, who as string, { decision: 'approve' })).status,
      ).toBe(202);
      void role;
    }
    await waitForStatus(id, ['succeeded']);
    expect(await servedVersion('production')).toBe('3.3.0');
    await recordHistoryForReplay(id, 'v2-start-authorised-approved');
    // Started since the rules are asked for before the start check (RULES_FIRST_PATCH).
    await recordHistoryForReplay(id, 'v2-rules-first-approved');
    // The workflow task completed right after the last approval was accepted: from there, a new
    // run would deploy to production again.
    const handle = stack.runway.client.workflow.getHandle(id);
    const { runId } = await handle.describe();
    const events = (await handle.fetchHistory()).events ?? [];
    const EventType = temporal.api.enums.v1.EventType;
    const updates = events.flatMap((event, index) =>
      event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED ? [index] : [],
    );
    const resetPoint = events
      .slice(updates.at(-1))
      .find((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    expect(resetPoint).toBeDefined();
    const before = Date.now();
    const { runId: resetRun } = await stack.runway.client.workflowService.resetWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: id, runId },
      workflowTaskFinishEventId: resetPoint?.eventId,
      reason: 'attack',
      requestId: `reset-${process.pid}`,
    });
    const closed = await closedWithin(insider, id, Date.now(), resetRun ?? undefined);
    expect(['TERMINATED', 'FAILED']).toContain(closed.status);
    expect(closed.ms).toBeLessThan(30_000);
    expect(actionsSince(before)).toEqual([]);
    expect(await servedVersion('production')).toBe('3.3.0');
    const audit = await auditOf(id);
    expect(audit.some((entry) => entry.action === 'workflow.activity-refused' && entry.actor === null)).toBe(
      true,
    );
    expect((await getRelease(id)).status).toBe('succeeded');
  });

  it('drops decisions signalled or updated in clear, even signed with the right key, and records them', async () => {
    const started = await requestRelease('3.4.0');
    const id = started.body.id as string;
    await waitForStatus(id, ['awaiting-approval']);
    const handle = outsider.workflow.getHandle(id);
    await handle.signal(approvalSignal, signedBy(testDecisionKeys, claimFor(id, 'pm-li', ['pm'])));
    // The workflow answers, sealed: the sender cannot even read its verdict.
    await expect(
      handle.executeUpdate(decideUpdate, {
        args: [signedBy(testDecisionKeys, claimFor(id, 'tl-zhang', ['tech-lead']))],
      }),
    ).rejects.toThrow(/binary\/encrypted/);
    await expect.poll(async () => (await getRelease(id)).decisions.length, { timeout: 15_000 }).toBe(2);
    const waiting = await getRelease(id);
    expect(waiting.pendingGate?.missing).toEqual(['pm', 'tech-lead']);
    for (const decision of waiting.decisions) {
      expect(decision).toMatchObject({ outcome: 'refused', refusal: 'unverified', actor: '?' });
      expect(decision.reason).toMatch(/not sent through Runway's API: it was sent in clear/);
    }
    const audited = (await auditOf(id)).filter((entry) => entry.action === 'decision.refused-by-workflow');
    expect(audited).toHaveLength(2);
    await rejectAtGate(id);
  });
});

describe('the API', () => {
  it('does not take a workflow someone else started under a release’s id for the release', async () => {
    const id = 'edm-web-regular-3.5.0-forged';
    const input = craftedInput(id, await craftedPlan(id));
    await insider.workflow.start('releaseWorkflowV2', {
      taskQueue: taskQueue(),
      workflowId: id,
      args: [input],
    });
    const starter = new ReleaseStarter({
      client: stack.runway.client,
      pool: stack.runway.pool,
      config: stack.config,
      logger: createLogger('forged-id', { level: 'silent' }),
      reconciler: new ReleaseReconciler({
        client: stack.runway.client,
        pool: stack.runway.pool,
        logger: createLogger('forged-id', { level: 'silent' }),
      }),
      temporalUrl: (releaseId) => stack.runway.service.temporalUrl(releaseId),
      decisionKeys: testDecisionKeys,
    });
    await expect(
      starter.start(
        { type: 'regular', service: 'edm-web', version: '3.5.0' },
        principalFor('ops-wang', stack.config),
        id,
      ),
    ).rejects.toThrow(/did not start runs under/);
    expect(await getReleaseRow(db, id)).toBeUndefined();
    expect(existsSync(markerPath(id))).toBe(false);
    // The service is free: the next start goes through.
    const next = await requestRelease('3.5.1');
    expect(next.status).toBe(201);
    await rejectAtGate(next.body.id as string);
  });
});
