// The production topology, for real: a two-node Temporal cluster on PostgreSQL with mutual TLS, two
// workers and two API replicas running the compiled code, Temporal Web — and what a production
// deployment suffers: a worker, a Temporal node and an API replica killed with SIGKILL mid-release,
// and callers without the right certificate. `npm run test:cluster` (after `npm run build`).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { Connection, type TLSConfig } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterStack, startClusterStack } from '../../stack/cluster/cluster-stack.js';
import { connectionBudget } from '../../stack/cluster/connection-budget.js';
import type { RunwayProcess } from '../../stack/cluster/runway-processes.js';
import { getFreePort } from '../../stack/free-port.js';
import { createPrivateCa, issueCertificate } from '../../stack/private-ca.js';
import { writeConfig } from '../crash/crash-stack.js';
import { clusterApi, clusterTemporalClient, shardOwner } from './cluster-client.js';

let stack: ClusterStack;
let dir: string;
const { call, releaseOf, waitFor } = clusterApi(() => stack);
const ENDED = ['succeeded', 'failed', 'rolled-back', 'cancelled', 'rejected'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runway-cluster-'));
  const configDir = join(dir, 'config');
  await writeConfig(configDir, await getFreePort());
  const started = Date.now();
  stack = await startClusterStack({
    stateDir: join(dir, 'state'),
    ports: { temporal: 0, web: 0, api: 0, postgres: 0 },
    configDir,
    // A killed worker's activity moves to the other within seconds, not half a minute.
    extraEnv: { RUNWAY_HEARTBEAT_TIMEOUT_SECONDS: '5', RUNWAY_IDEMPOTENCY_LEASE_SECONDS: '3' },
    log: (line) => console.info(line),
  });
  console.info(`cluster stack up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, 600_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

const replica = (name: string) => stack.apiReplicaUrls[name] as string;

async function startRelease(version: string, baseUrl = stack.apiUrl, headers: Record<string, string> = {}) {
  const answer = await call(
    baseUrl,
    'POST',
    '/releases',
    'ops-wang',
    { type: 'regular', service: 'edm-web', version },
    headers,
  );
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body.id as string;
}

async function approve(id: string, baseUrl = stack.apiUrl): Promise<void> {
  const waiting = await waitFor(id, ['awaiting-approval', ...ENDED]);
  expect(waiting.status, JSON.stringify(waiting.failure)).toBe('awaiting-approval');
  for (const approver of ['pm-li', 'tl-zhang']) {
    expect(
      (await call(baseUrl, 'POST', `/releases/${id}/approvals`, approver, { decision: 'approve' })).status,
    ).toBe(202);
  }
}

async function servedVersion(environment: string): Promise<string> {
  const url = stack.config.environments[environment]?.services['edm-web']?.url;
  const response = await fetch(`${url}/version`);
  return ((await response.json()) as { version: string }).version;
}

/** The pid of the worker running an activity of `type` for the release, once one runs it. */
async function workerRunning(id: string, type: RegExp, timeoutMs = 120_000): Promise<number> {
  const { client, connection } = await clusterTemporalClient(stack);
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const description = await client.workflow.getHandle(id).describe();
      const pending = description.raw.pendingActivities?.find(
        (activity) => type.test(activity.activityType?.name ?? '') && activity.lastStartedTime,
      );
      if (pending) return Number(pending.lastWorkerIdentity?.split('@')[0]);
      await delay(50);
    }
    throw new Error(`release ${id} never ran ${type}`);
  } finally {
    await connection.close();
  }
}

describe('a release on the cluster', () => {
  it('reaches production with approvals through one API replica and reads from the other', async () => {
    const started = Date.now();
    const id = await startRelease('1.1.0', replica('api-1'));
    await approve(id, replica('api-1'));
    const done = await waitFor(id, ENDED, 180_000, replica('api-2'));
    expect(done.status, JSON.stringify(done.failure)).toBe('succeeded');
    expect(await servedVersion('production')).toBe('1.1.0');
    console.info(`regular release on the cluster: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('finishes through the other worker when the one running its deploy is killed -9', async () => {
    const id = await startRelease('1.2.0');
    await approve(id);
    const pid = await workerRunning(id, /deploy|switch|command/i);
    const victim = stack.workers.find((worker) => worker.pid === pid) as RunwayProcess;
    expect(victim, `worker pid ${pid} is one of the cluster's`).toBeDefined();
    await victim.kill();
    const done = await waitFor(id, ENDED, 180_000);
    expect(done.status, JSON.stringify(done.failure)).toBe('succeeded');
    expect(await servedVersion('production')).toBe('1.2.0');
    // The cluster keeps two workers for the cases after this one.
    stack.workers.splice(stack.workers.indexOf(victim), 1, stack.startWorker(`worker-after-${victim.name}`));
  });

  it('finishes within 2 minutes when the Temporal node that owns its shard is killed -9', async () => {
    const id = await startRelease('1.3.0');
    await waitFor(id, ['awaiting-approval']);
    const owner = await shardOwner(stack, id);
    const node = stack.temporal.nodes.find((candidate) => candidate.name === owner);
    expect(node, `a node owns the shard of ${id} (${owner})`).toBeDefined();
    await node?.kill();
    const killedAt = Date.now();
    try {
      await approve(id);
      const done = await waitFor(id, ENDED, 120_000);
      expect(done.status, JSON.stringify(done.failure)).toBe('succeeded');
      const tookMs = Date.now() - killedAt;
      console.info(`release finished ${(tookMs / 1000).toFixed(1)} s after its shard's node was killed`);
      expect(tookMs).toBeLessThan(120_000);
      expect(await shardOwner(stack, id)).not.toBe(owner);
    } finally {
      await node?.restart();
    }
  });

  it('gives the same release to an Idempotency-Key retry on the other replica after one dies mid-start', async () => {
    const key = `cluster-${Date.now()}`;
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    const pausedNodes = stack.temporal.nodes.map((node) => node.pid as number);
    const victim = stack.apis[0] as RunwayProcess;
    try {
      // With Temporal paused, the start writes its record and then hangs: kill the replica there.
      for (const pid of pausedNodes) process.kill(pid, 'SIGSTOP');
      const first = call(
        replica('api-1'),
        'POST',
        '/releases',
        'ops-wang',
        { type: 'regular', service: 'edm-web', version: '1.4.0' },
        { 'idempotency-key': key },
      ).catch((error: unknown) => error);
      for (let i = 0; i < 100; i++) {
        const { rows } = await db.query("SELECT id FROM releases WHERE version = '1.4.0'");
        if (rows.length > 0) break;
        await delay(100);
      }
      await victim.kill();
      for (const pid of pausedNodes) process.kill(pid, 'SIGCONT');
      expect(await first).toBeInstanceOf(Error);
      const retry = () =>
        call(
          replica('api-2'),
          'POST',
          '/releases',
          'ops-wang',
          { type: 'regular', service: 'edm-web', version: '1.4.0' },
          { 'idempotency-key': key },
        );
      let retried = await retry();
      // Until the dead request's hold on the key expires, a retry hears 409.
      for (let i = 0; i < 60 && retried.status === 409; i++) {
        await delay(250);
        retried = await retry();
      }
      expect(retried.status, JSON.stringify(retried.body)).toBe(201);
      const { rows } = await db.query("SELECT id FROM releases WHERE version = '1.4.0'");
      expect(rows).toEqual([{ id: retried.body.id }]);
      await call(stack.apiUrl, 'POST', `/releases/${retried.body.id}/abort`, 'ops-wang', {
        reason: 'case done',
      });
      await waitFor(retried.body.id as string, ENDED);
    } finally {
      for (const pid of pausedNodes) process.kill(pid, 'SIGCONT');
      await db.end();
    }
  });
});

describe('who reaches Temporal', () => {
  it('refuses a client without a certificate and one whose certificate another CA signed', async () => {
    const { node, admin } = stack.certificates;
    const ca = await readFile(node.caFile);
    const attempt = async (tls: TLSConfig | undefined) => {
      const connection = await Connection.connect({
        address: stack.temporal.address,
        tls,
        connectTimeout: 5_000,
      });
      try {
        await connection.workflowService.getSystemInfo({});
        return 'served';
      } finally {
        await connection.close();
      }
    };
    const refused = (tls: TLSConfig | undefined) =>
      attempt(tls).then(
        (outcome) => outcome,
        (error: unknown) => `refused: ${String(error).slice(0, 120)}`,
      );
    const otherCa = await createPrivateCa(join(dir, 'other-ca'), { commonName: 'Someone else' });
    const foreign = await issueCertificate(otherCa, {
      name: 'intruder',
      commonName: 'runway-runway',
      usage: 'client',
    });
    expect(await refused(undefined)).toMatch(/^refused/);
    expect(await refused({ serverNameOverride: node.serverName, serverRootCACertificate: ca })).toMatch(
      /^refused/,
    );
    expect(
      await refused({
        serverNameOverride: node.serverName,
        serverRootCACertificate: ca,
        clientCertPair: { crt: await readFile(foreign.certFile), key: await readFile(foreign.keyFile) },
      }),
    ).toMatch(/^refused/);
    expect(
      await refused({
        serverNameOverride: node.serverName,
        serverRootCACertificate: ca,
        clientCertPair: { crt: await readFile(admin.certFile), key: await readFile(admin.keyFile) },
      }),
    ).toBe('served');
  });

  it('lets nobody change a release through Temporal Web: a terminate sent there is refused and the release goes on', async () => {
    const id = await startRelease('1.5.0');
    await waitFor(id, ['awaiting-approval']);
    // With the session's CSRF cookie and header, as the browser would send them.
    const settings = await fetch(`${stack.web.url}/api/v1/settings`);
    const cookie = (settings.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const csrf = cookie.split('=')[1] ?? '';
    const terminate = await fetch(
      `${stack.web.url}/api/v1/namespaces/${stack.temporal.namespace}/workflows/${id}/terminate`,
      {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'attacker' }),
      },
    );
    expect(terminate.status).toBe(405);
    expect((await releaseOf(id)).status).toBe('awaiting-approval');
    await call(stack.apiUrl, 'POST', `/releases/${id}/abort`, 'ops-wang', { reason: 'case done' });
    await waitFor(id, ENDED);
  });

  it('speaks TLS between nodes: a history service refuses a connection without the CA’s certificate', async () => {
    const { node } = stack.certificates;
    const history = stack.temporal.nodes[0]?.historyAddress as string;
    const ca = await readFile(node.caFile);
    const withoutCertificate = await tlsOutcome(history, { ca, servername: node.serverName });
    expect(withoutCertificate).toMatch(/^refused/);
    const asNode = await tlsOutcome(history, {
      ca,
      servername: node.serverName,
      cert: await readFile(node.certFile),
      key: await readFile(node.keyFile),
    });
    expect(asNode).toBe('accepted');
  });

  it('listens on loopback only: every port of the nodes, the balancers and Temporal Web', async () => {
    // This process runs the balancers and the demo target.
    const pids = [
      ...stack.temporal.nodes.map((node) => node.pid),
      stack.web.pid,
      ...stack.apis.map((api) => api.pid),
      ...stack.workers.map((worker) => worker.pid),
      process.pid,
    ];
    const listening = await listeningAddresses(pids.filter((pid): pid is number => pid !== undefined));
    expect(listening.length).toBeGreaterThan(4);
    expect(listening.filter((address) => !address.startsWith('127.0.0.1:'))).toEqual([]);
  });

  it("gives PostgreSQL room for every Temporal service's pools and every Runway process's", async () => {
    const db = new pg.Client({ connectionString: stack.databaseUrl });
    await db.connect();
    try {
      const limit = Number((await db.query('SHOW max_connections')).rows[0].max_connections);
      // Two nodes (4 and 3 services) at 20 + 10 each, six Runway processes at 10, and headroom.
      expect(limit).toBe(connectionBudget({ temporalServicesPerNode: [4, 3], runwayProcesses: 6 }));
      expect(limit).toBeGreaterThanOrEqual(300);
    } finally {
      await db.end();
    }
  });
});

/** Whether a TLS client gets past the handshake and is kept (the server refuses after it in TLS 1.3). */
function tlsOutcome(address: string, options: ConnectionOptions): Promise<string> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = tlsConnect({ host, port: Number(port), ALPNProtocols: ['h2'], ...options });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      resolve(`refused: ${error.code ?? error.message}`),
    );
    socket.once('close', () => resolve('refused: closed'));
    socket.once('secureConnect', () => {
      setTimeout(() => {
        resolve('accepted');
        socket.destroy();
      }, 1_000);
    });
  });
}

/** The addresses the processes listen on (TCP, from /proc). */
async function listeningAddresses(pids: number[]): Promise<string[]> {
  const inodes = new Set<string>();
  const { readdir, readlink } = await import('node:fs/promises');
  for (const pid of pids) {
    for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match?.[1]) inodes.add(match[1]);
    }
  }
  const addresses: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] !== '0A' || !inodes.has(fields[9] ?? '')) continue; // 0A: LISTEN
      addresses.push(decodeAddress(fields[1] as string));
    }
  }
  return addresses;
}

function decodeAddress(hex: string): string {
  const [ip, port] = hex.split(':') as [string, string];
  if (ip.length === 8) {
    const bytes = (ip.match(/../g) as string[]).map((byte) => Number.parseInt(byte, 16)).reverse();
    return `${bytes.join('.')}:${Number.parseInt(port, 16)}`;
  }
  return `[${ip}]:${Number.parseInt(port, 16)}`;
}
