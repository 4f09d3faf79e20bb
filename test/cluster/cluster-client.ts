// What the cluster suite does through Runway's API and reads from Temporal and PostgreSQL.
import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import pg from 'pg';
import type { ClusterStack } from '../../stack/cluster/cluster-stack.js';

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export function clusterApi(stack: () => ClusterStack) {
  const call = async (
    baseUrl: string,
    method: string,
    path: string,
    as: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> => {
    const response = await fetch(`${baseUrl}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${stack().tokens.get(as)}`,
        'content-type': 'application/json',
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const releaseOf = async (id: string, baseUrl = stack().apiUrl) => {
    const { status, body } = await call(baseUrl, 'GET', `/releases/${id}`, 'dev-chen');
    if (status !== 200) throw new Error(`GET ${id} answered ${status}: ${JSON.stringify(body)}`);
    return body;
  };
  const waitFor = async (id: string, statuses: string[], timeoutMs = 120_000, baseUrl?: string) => {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      last = await releaseOf(id, baseUrl).catch((error: unknown) => String(error));
      if (typeof last === 'object' && statuses.includes((last as { status: string }).status)) {
        return last as Record<string, unknown>;
      }
      await delay(250);
    }
    throw new Error(
      `release ${id} did not reach ${statuses.join('/')}: ${JSON.stringify(last)?.slice(0, 600)}`,
    );
  };
  return { call, releaseOf, waitFor };
}

/** A Temporal client with the given TLS (the cluster's admin certificate by default). */
export async function clusterTemporalClient(stack: ClusterStack, tls?: TLSConfig) {
  const { node, admin } = stack.certificates;
  const connection = await Connection.connect({
    address: stack.temporal.address,
    tls: tls ?? {
      serverNameOverride: node.serverName,
      serverRootCACertificate: await readFile(node.caFile),
      clientCertPair: { crt: await readFile(admin.certFile), key: await readFile(admin.keyFile) },
    },
    connectTimeout: 5_000,
  });
  return { client: new Client({ connection, namespace: stack.temporal.namespace }), connection };
}

/**
 * The node whose history service owns a workflow's shard: the executions table names the shard,
 * and the shard's record carries its owner's history address.
 */
export async function shardOwner(stack: ClusterStack, workflowId: string): Promise<string | undefined> {
  const database = new URL(stack.databaseUrl);
  database.pathname = '/temporal';
  const db = new pg.Client({ connectionString: database.toString() });
  await db.connect();
  try {
    const execution = await db.query('SELECT shard_id FROM executions WHERE workflow_id = $1 LIMIT 1', [
      workflowId,
    ]);
    const shardId = execution.rows[0]?.shard_id;
    if (shardId === undefined) return undefined;
    const shard = await db.query('SELECT data FROM shards WHERE shard_id = $1', [shardId]);
    const data = (shard.rows[0]?.data as Buffer | undefined)?.toString('latin1') ?? '';
    return stack.temporal.nodes.find((node) => data.includes(node.historyAddress))?.name;
  } finally {
    await db.end();
  }
}
