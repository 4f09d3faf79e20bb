// Crashes, as production would suffer them: every process of the stack is real and separate, and
// is killed with SIGKILL at a chosen moment. Each case checks that the release carries on (or is
// repaired), that nothing happened twice on the target (the demo agent's action log), and what
// the records say afterwards.
import { setTimeout as delay } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readActionLog } from '../../demo/target/action-log.js';
import { type CrashStack, type RunwayProcess, startCrashStack } from './crash-stack.js';

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
  throw new Error(`release ${id} did not reach ${statuses.join('/')}: ${JSON.stringify(last)}`);
}

async function approve(id: string): Promise<void> {
  await waitFor(id, ['awaiting-approval']);
  expect((await call('POST', `/releases/${id}/approvals`, 'pm-li', { decision: 'approve' })).status).toBe(
    202,
  );
  expect((await call('POST', `/releases/${id}/approvals`, 'tl-zhang', { decision: 'approve' })).status).toBe(
    202,
  );
}

async function servedVersion(environment: string): Promise<string> {
  const response = await fetch(`${stack.serviceUrls[environment]}/version`);
  return ((await response.json()) as { version: string }).version;
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
    const done = await waitFor(id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
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
    expect((await waitFor(id, ['succeeded', 'failed'])).status).toBe('succeeded');

    const next = await requestRelease('3.2.0');
    const nextId = next.body.id as string;
    await whenRunning(nextId, 'deployToColour');
    await stack.killTemporal9();
    await stack.restartTemporal();
    await approve(nextId);
    expect((await waitFor(nextId, ['succeeded', 'failed'])).status).toBe('succeeded');
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
    expect((await waitFor(id, ['succeeded', 'failed'])).status).toBe('succeeded');
    expect(workers.every((worker) => worker.alive())).toBe(true);
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
      expect((await waitFor(retried.body.id as string, ['succeeded', 'failed'])).status).toBe('succeeded');
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
    const waiting = await waitFor(id, ['awaiting-approval', 'failed']);
    expect(waiting.status).toBe('awaiting-approval');
    const steps = waiting.steps as { id: string; status: string }[];
    expect(steps.map((step) => step.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
      'succeeded',
      'running',
    ]);
    await approve(id);
    expect((await waitFor(id, ['succeeded', 'failed'])).status).toBe('succeeded');
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
