// Crashes, as production would suffer them: every process of the stack is real and separate, and
// is killed with SIGKILL at a chosen moment. Each case checks that the release carries on (or is
// repaired), that nothing happened twice on the target (the demo agent's action log; for edm-web's
// database, a log of what its migrations dropped), and what the records say afterwards.
import { setTimeout as delay } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReleaseJson, ReleaseSchema } from '../../api/release-schemas.js';
import { migrateDown, migrateUp } from '../../demo/edm-web/schema-migrations.js';
import { readActionLog } from '../../demo/target/action-log.js';
import { WAITING_AT_CHANGE_APPROVAL } from '../support/regular-runbook-steps.js';
import { childrenOf, untilGone } from './child-processes.js';
import { type CrashStack, type RunwayProcess, startCrashStack } from './crash-stack.js';
import { installDropLog, readDropLog, removeDropLog } from './schema-drop-log.js';

let stack: CrashStack;
let api: RunwayProcess;
let workers: RunwayProcess[] = [];

beforeAll(async () => {
  stack = await startCrashStack();
  api = await stack.startApi();
  workers = [await stack.startWorker()];
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

async function call(
  method: string,
  path: string,
  as: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${stack.apiUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.tokens[as]}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const requestRelease = (version: string, headers: Record<string, string> = {}) =>
  call('POST', '/releases', 'ops-wang', { type: 'regular', service: 'edm-web', version }, headers);

async function releaseOf(id: string): Promise<Record<string, unknown>> {
  const { status, body } = await call('GET', `/releases/${id}`, 'dev-chen');
  if (status !== 200) throw new Error(`GET ${id} answered ${status}: ${JSON.stringify(body)}`);
  return body;
}

/** Where a release can end: waiting for one of them fails fast on the others. */
const ENDED = ['succeeded', 'failed', 'rolled-back', 'cancelled'];

async function waitFor(id: string, statuses: string[], timeoutMs = 90_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    last = await releaseOf(id).catch((error: unknown) => String(error));
    if (typeof last === 'object' && statuses.includes((last as { status: string }).status)) {
      return last as Record<string, unknown>;
    }
    await delay(250);
  }
  const { status, currentStep, failure } = (typeof last === 'object' ? last : {}) as Record<string, unknown>;
  const seen = typeof last === 'object' ? JSON.stringify({ status, currentStep, failure }) : String(last);
  throw new Error(`release ${id} did not reach ${statuses.join('/')}: ${seen}`);
}

async function approve(id: string): Promise<void> {
  const waiting = await waitFor(id, ['awaiting-approval', ...ENDED]);
  expect(waiting.status, JSON.stringify(waiting.failure)).toBe('awaiting-approval');
  expect((await call('POST', `/releases/${id}/approvals`, 'pm-li', { decision: 'approve' })).status).toBe(
    202,
  );
  expect((await call('POST', `/releases/${id}/approvals`, 'tl-zhang', { decision: 'approve' })).status).toBe(
    202,
  );
}

function compensation(release: ReleaseJson, id: string) {
  const entry = release.rollbackPlan.find((candidate) => candidate.id === id);
  if (!entry) throw new Error(`release ${release.id} has no compensation ${id}`);
  return entry;
}

async function servedVersion(environment: string): Promise<string> {
  const response = await fetch(`${stack.serviceUrls[environment]}/version`);
  return ((await response.json()) as { version: string }).version;
}

function expectSucceeded(release: Record<string, unknown>): void {
  expect(release.status, JSON.stringify(release.failure)).toBe('succeeded');
}

/** Waits until the release has an activity of `type` running, and returns the worker pid running it. */
async function whenRunning(id: string, type: string, timeoutMs = 60_000): Promise<number | undefined> {
  const connection = await Connection.connect({ address: stack.temporal.address });
  try {
    const client = new Client({ connection });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const description = await client.workflow.getHandle(id).describe();
      const pending = description.raw.pendingActivities?.find(
        (activity) => activity.activityType?.name === type,
      );
      if (pending?.lastStartedTime) return Number(pending.lastWorkerIdentity?.split('@')[0]);
      await delay(50);
    }
    throw new Error(`release ${id} never ran ${type}`);
  } finally {
    await connection.close();
  }
}

/**
 * Waits until a worker runs a command that `matches`, starts a successor, freezes that worker, lets
 * the command finish, then kills the worker with SIGKILL: the command's effect is on the target and
 * the worker never reported it — the moment a crash makes hardest to get right, pinned rather than
 * hoped for.
 */
async function killWorkerAfterCommand(matches: (argv: string[]) => boolean, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const worker of workers) {
      const command = childrenOf(worker.pid).find((child) => matches(child.argv));
      if (!command) continue;
      // Its successor starts now, so it is up by the time the server gives the task to another worker.
      workers.push(await stack.startWorker());
      worker.freeze();
      await untilGone(command.pid, 60_000);
      await worker.kill9();
      workers = workers.filter((other) => other !== worker);
      return;
    }
    // Often: a bundled command may live only some 0.2 s.
    await delay(10);
  }
  throw new Error(`no worker ran the awaited command within ${timeoutMs / 1000} s`);
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The attempt each run of `activityType` ended on, in the order they were scheduled. */
async function attemptsOf(id: string, activityType: string): Promise<number[]> {
  const connection = await Connection.connect({ address: stack.temporal.address });
  try {
    const history = await new Client({ connection }).workflow.getHandle(id).fetchHistory();
    const events = history.events ?? [];
    const scheduled = events
      .filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === activityType)
      .map((event) => String(event.eventId));
    return scheduled.map((eventId) => {
      const started = events.find(
        (event) => String(event.activityTaskStartedEventAttributes?.scheduledEventId) === eventId,
      );
      return started?.activityTaskStartedEventAttributes?.attempt ?? 0;
    });
  } finally {
    await connection.close();
  }
}

describe('crashes', () => {
  it('a worker killed in the middle of a production deploy: a new worker completes it, each effect once', async () => {
    const started = await requestRelease('3.0.0+slow');
    const id = started.body.id as string;
    await approve(id);
    await waitFor(id, ['running']);
    await whenRunning(id, 'deployToColour');
    const before = readActionLog(stack.actionLogFile).length;
    await delay(300); // the driver's call has reached the agent, which is starting the instance
    await (workers[0] as RunwayProcess).kill9();
    workers = [await stack.startWorker()];
    const done = await waitFor(id, ENDED);
    expect(done.status, JSON.stringify(done.failure)).toBe('succeeded');
    expect(await servedVersion('production')).toBe('3.0.0+slow');
    const production = readActionLog(stack.actionLogFile)
      .slice(before)
      .filter((entry) => entry.environment === 'production' && entry.key?.startsWith(id));
    const applied = production.filter((entry) => entry.outcome === 'applied');
    expect(applied.map((entry) => entry.action)).toEqual(['deploy', 'switch']);
    // The retried deploy reached the agent again and changed nothing.
    expect(production.filter((entry) => entry.outcome === 'repeat').map((entry) => entry.action)).toContain(
      'deploy',
    );
    console.log(
      `worker killed mid-deploy: production actions ${JSON.stringify(production.map((e) => [e.action, e.outcome]))}`,
    );
  });

  it('the Temporal server killed while a release waits at its gate, then while it deploys: both continue', async () => {
    const started = await requestRelease('3.1.0');
    const id = started.body.id as string;
    await waitFor(id, ['awaiting-approval']);
    await stack.killTemporal9();
    await stack.restartTemporal();
    await approve(id);
    expectSucceeded(await waitFor(id, ENDED));

    const next = await requestRelease('3.2.0');
    const nextId = next.body.id as string;
    await whenRunning(nextId, 'deployToColour');
    await stack.killTemporal9();
    await stack.restartTemporal();
    await approve(nextId);
    expectSucceeded(await waitFor(nextId, ENDED));
    expect(await servedVersion('production')).toBe('3.2.0');
  });

  it('two workers, the one running the release killed: the other finishes it', async () => {
    workers.push(await stack.startWorker());
    const started = await requestRelease('3.3.0');
    const id = started.body.id as string;
    const pid = await whenRunning(id, 'deployToColour');
    const running = workers.find((worker) => worker.pid === pid) ?? (workers[0] as RunwayProcess);
    await running.kill9();
    workers = workers.filter((worker) => worker !== running);
    await approve(id);
    expectSucceeded(await waitFor(id, ENDED));
    expect(workers.every((worker) => worker.alive())).toBe(true);
  });

  it('a worker killed in the middle of a compensation: a new worker finishes the rollback, each effect once', async () => {
    const database = stack.serviceDatabaseUrls.production as string;
    const owner = new URL(stack.databaseUrl);
    owner.pathname = new URL(database).pathname;
    // Production's database last got a release carrying 002: this one migrates it to 003, its undo back.
    await migrateUp(database, '1.1.0', () => {});
    await migrateDown(database, '002-campaign-schedule', () => {});
    await query(database, "INSERT INTO campaigns (name, subject) VALUES ('kept', 'Written under 002')");
    await installDropLog(owner.toString(), new URL(database).username);
    try {
      const previous = await servedVersion('production');
      const logged = readActionLog(stack.actionLogFile).length;
      const started = Date.now();
      // Healthy through its checks; the production bake sees it answer 5xx and rolls it back: the
      // switch back first, then the database down to 002.
      const id = (await requestRelease('3.3.1+errors')).body.id as string;
      await approve(id);
      const rollingBack = await waitFor(id, ['rolling-back', ...ENDED]);
      expect(rollingBack.status, JSON.stringify(rollingBack.failure)).toBe('rolling-back');

      // The migration down has run; its worker dies before it can report it.
      await killWorkerAfterCommand((argv) => argv.includes('demo/dist/edm-db.mjs') && argv.includes('down'));
      const undone = [
        { type: 'table column', identity: 'public.campaigns.sender' },
        { type: 'table', identity: 'public.unsubscribes' },
      ];
      expect(await readDropLog(owner.toString())).toEqual(undone);
      const interrupted = ReleaseSchema.parse(await releaseOf(id));
      expect(interrupted.status).toBe('rolling-back');
      expect(compensation(interrupted, 'migrate-production.down').status).toBe('running');

      const done = ReleaseSchema.parse(await waitFor(id, ENDED));
      expect(done.status, JSON.stringify(done.failure)).toBe('rolled-back');
      expect(done.rollback).toMatchObject({
        cause: 'automatic',
        automatic: { trigger: 'error-rate' },
        verification: [{ environment: 'production', passed: true }],
      });
      expect(
        done.rollbackPlan
          .filter((entry) => entry.environment === 'production')
          .map((entry) => [entry.id, entry.status]),
      ).toEqual([
        ['deploy-production.switch-back', 'done'],
        ['migrate-production.down', 'done'],
      ]);
      expect(await servedVersion('production')).toBe(previous);
      const migrations = await query<{ name: string }>(database, 'SELECT name FROM pgmigrations ORDER BY id');
      expect(migrations.map((row) => row.name)).toEqual(['001-campaigns', '002-campaign-schedule']);
      expect(await query(database, "SELECT subject FROM campaigns WHERE name = 'kept'")).toEqual([
        { subject: 'Written under 002' },
      ]);

      // Each effect once: the new worker retried the migration down, which found the database
      // already at 002 and dropped nothing more, and did not run the finished switch back again.
      const downAttempts = await attemptsOf(id, 'migrateDown');
      expect(downAttempts).toHaveLength(1);
      expect(downAttempts[0]).toBeGreaterThan(1);
      expect(compensation(done, 'migrate-production.down').detail).toMatch(
        /^migrated down to 002-campaign-schedule/,
      );
      expect(await readDropLog(owner.toString())).toEqual(undone);
      const production = readActionLog(stack.actionLogFile)
        .slice(logged)
        .filter((entry) => entry.environment === 'production' && entry.key?.startsWith(`${id}/`));
      expect(production.map((entry) => [entry.action, entry.outcome])).toEqual([
        ['deploy', 'applied'],
        ['switch', 'applied'],
        ['switch', 'applied'],
      ]);
      expect(production.at(-1)?.key).toBe(`${id}/deploy-production.switch-back`);
      console.log(
        `worker killed mid-compensation: rolled back ${(Date.now() - started) / 1000} s after the request; migrate down: ${compensation(done, 'migrate-production.down').detail}`,
      );
    } finally {
      await removeDropLog(owner.toString());
    }
  });

  it('the API killed in the middle of POST /releases: a retry with the same Idempotency-Key gets the same release', async () => {
    const key = `crash-${Date.now()}`;
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      stack.pauseTemporal();
      const first = requestRelease('3.4.0', { 'idempotency-key': key }).catch((error: unknown) => error);
      // The record is written; the workflow start now hangs on the paused server.
      for (let i = 0; i < 100; i++) {
        const { rows } = await db.query("SELECT id FROM releases WHERE version = '3.4.0'");
        if (rows.length > 0) break;
        await delay(100);
      }
      await api.kill9();
      stack.resumeTemporal();
      expect(await first).toBeInstanceOf(Error);
      api = await stack.startApi();
      let retried = await requestRelease('3.4.0', { 'idempotency-key': key });
      // Until the dead request's hold on the key expires, a retry hears 409.
      for (let i = 0; i < 40 && retried.status === 409; i++) {
        await delay(250);
        retried = await requestRelease('3.4.0', { 'idempotency-key': key });
      }
      expect(retried.status).toBe(201);
      const { rows } = await db.query("SELECT id FROM releases WHERE version = '3.4.0'");
      expect(rows).toEqual([{ id: retried.body.id }]);
      const again = await requestRelease('3.4.0', { 'idempotency-key': key });
      expect(again).toMatchObject({ status: 200, body: { id: retried.body.id } });
      const otherBody = await requestRelease('3.4.1', { 'idempotency-key': key });
      expect(otherBody).toMatchObject({ status: 422, body: { error: { code: 'unprocessable' } } });
      await approve(retried.body.id as string);
      expectSucceeded(await waitFor(retried.body.id as string, ENDED));
    } finally {
      stack.resumeTemporal();
      await db.end();
    }
  });

  it('PostgreSQL stopped while a release runs: 503 and a named dependency meanwhile, records catch up after', async () => {
    const started = await requestRelease('3.5.0+slow');
    const id = started.body.id as string;
    await whenRunning(id, 'deployToColour');
    await stack.stopPostgres();
    try {
      const read = await call('GET', `/releases/${id}`, 'dev-chen');
      expect(read).toMatchObject({ status: 503, body: { error: { code: 'unavailable' } } });
      const ready = await fetch(`${stack.apiUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ ok: false, down: ['database'] });
      await delay(2_000);
      expect(workers.every((worker) => worker.alive())).toBe(true);
    } finally {
      await stack.startPostgres();
    }
    const waiting = await waitFor(id, ['awaiting-approval', ...ENDED]);
    expect(waiting.status, JSON.stringify(waiting.failure)).toBe('awaiting-approval');
    const steps = waiting.steps as { id: string; status: string }[];
    expect(steps.map((step) => [step.id, step.status])).toEqual(WAITING_AT_CHANGE_APPROVAL);
    await approve(id);
    expectSucceeded(await waitFor(id, ENDED));
  });

  it('PostgreSQL killed -9: once it is back, start-up reconciliation repairs a record that missed its end', async () => {
    const started = await requestRelease('3.6.0');
    const id = started.body.id as string;
    await waitFor(id, ['awaiting-approval']);
    await stack.killPostgres9();
    const connection = await Connection.connect({ address: stack.temporal.address });
    try {
      // While the database is down, someone terminates the release in Temporal.
      await new Client({ connection }).workflow
        .getHandle(id)
        .terminate('operator stopped it during the outage');
    } finally {
      await connection.close();
    }
    await stack.startPostgres();
    await api.kill9();
    api = await stack.startApi();
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      let row: { status: string; holds_lock: boolean } | undefined;
      for (let i = 0; i < 60; i++) {
        row = (await db.query('SELECT status, holds_lock FROM releases WHERE id = $1', [id])).rows[0];
        if (row?.status === 'abandoned') break;
        await delay(250);
      }
      expect(row).toEqual({ status: 'abandoned', holds_lock: false });
    } finally {
      await db.end();
    }
  });
});
