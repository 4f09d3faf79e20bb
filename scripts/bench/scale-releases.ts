// The scale benchmark's traffic: releases started and approved through the HTTP API as people and
// scripts would, a bounded number at a time, and their records watched in PostgreSQL (the list
// endpoint returns at most 200, and polling each release would load the API being measured).
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';

export interface ReleaseApi {
  apiUrl: string;
  token(identity: string): string;
}

/** Who starts (ops-wang: deploy in TEST and production) and who fills the gate's two seats. */
export const STARTER = 'ops-wang';
export const APPROVERS = ['pm-li', 'tl-zhang'] as const;
export const SCALE_VERSION = '1.0.0';
const ATTEMPTS = 5;
const REQUEST_TIMEOUT_MS = 60_000;

interface Answer {
  status: number;
  body: Record<string, unknown>;
  /** 1 unless the request was sent again. */
  attempts: number;
}

/** Answers worth asking again: overload (429, 503), a gateway's 502/504, or no answer at all. */
const RETRIED = new Set([429, 502, 503, 504]);

export class CallCounter {
  retries = 0;
  readonly latenciesMs: number[] = [];
}

async function call(
  api: ReleaseApi,
  counter: CallCounter,
  request: { method: string; path: string; as: string; body: unknown; headers?: Record<string, string> },
): Promise<Answer> {
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    const answer = await fetch(`${api.apiUrl}/api/v1${request.path}`, {
      method: request.method,
      headers: {
        authorization: `Bearer ${api.token(request.as)}`,
        'content-type': 'application/json',
        ...request.headers,
      },
      body: JSON.stringify(request.body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    }).then(
      async (response) => ({
        status: response.status,
        body: (await response.json().catch(() => ({}))) as Record<string, unknown>,
        attempts: attempt,
      }),
      (error: unknown) => ({ status: 0, body: { error: String(error) }, attempts: attempt }),
    );
    counter.latenciesMs.push(performance.now() - started);
    if (!(answer.status === 0 || RETRIED.has(answer.status)) || attempt === ATTEMPTS) return answer;
    counter.retries++;
    await delay(500 * attempt);
  }
}

/** Runs `work` over `items`, at most `limit` at a time. */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let index = next++; index < items.length; index = next++) await work(items[index] as T, index);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

export interface StartedReleases {
  ids: string[];
  /** From the first request sent to the last release started, ms. */
  durationMs: number;
  counter: CallCounter;
}

/**
 * One regular release per service. An Idempotency-Key makes a retried start (after a 503 or a lost
 * answer) the same release, never a second one.
 */
export async function startReleases(
  api: ReleaseApi,
  services: readonly string[],
  concurrency: number,
  onStarted: () => void,
): Promise<StartedReleases> {
  const counter = new CallCounter();
  const ids: string[] = new Array(services.length);
  const started = performance.now();
  await forEachBounded(services, concurrency, async (service, index) => {
    const answer = await call(api, counter, {
      method: 'POST',
      path: '/releases',
      as: STARTER,
      body: { type: 'regular', service, version: SCALE_VERSION },
      headers: { 'idempotency-key': randomUUID() },
    });
    if (answer.status !== 201 && answer.status !== 200) {
      throw new Error(`starting ${service} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    }
    ids[index] = answer.body.id as string;
    onStarted();
  });
  return { ids, durationMs: performance.now() - started, counter };
}

/** Both seats of each release's gate, one approver after the other, `concurrency` releases at a time. */
export async function approveReleases(
  api: ReleaseApi,
  ids: readonly string[],
  concurrency: number,
  onApproved: () => void,
): Promise<CallCounter> {
  const counter = new CallCounter();
  await forEachBounded(ids, concurrency, async (id) => {
    for (const approver of APPROVERS) {
      const answer = await call(api, counter, {
        method: 'POST',
        path: `/releases/${encodeURIComponent(id)}/approvals`,
        as: approver,
        body: { decision: 'approve' },
      });
      // 409 after a retry: the first attempt was counted, its answer lost.
      const counted = answer.status === 202 || (answer.status === 409 && answer.attempts > 1);
      if (!counted)
        throw new Error(
          `${approver} approving ${id} answered ${answer.status}: ${JSON.stringify(answer.body)}`,
        );
    }
    onApproved();
  });
  return counter;
}

export interface RecordCounts {
  byStatus: Record<string, number>;
  finished: number;
  /** Client connections PostgreSQL holds now, everyone's (Temporal's too, on the cluster). */
  connections: number;
  /** A release that ended otherwise than succeeded, with why. */
  firstFailure?: string;
}

/** The records of the benchmark's releases, counted by status in one query. */
export class ReleaseRecords {
  private constructor(private readonly client: pg.Client) {}

  static async connect(databaseUrl: string): Promise<ReleaseRecords> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    return new ReleaseRecords(client);
  }

  async count(servicePrefix: string): Promise<RecordCounts> {
    const { rows } = await this.client.query<{
      status: string;
      n: number;
      finished: number;
      failure: string | null;
    }>(
      `SELECT status, count(*)::int AS n, count(finished_at)::int AS finished,
              max(failure::text) FILTER (WHERE status <> 'succeeded' AND finished_at IS NOT NULL) AS failure
         FROM releases WHERE service LIKE $1 GROUP BY status`,
      [`${servicePrefix}%`],
    );
    const failure = rows.find((row) => row.failure !== null);
    const connections = await this.client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend'",
    );
    return {
      byStatus: Object.fromEntries(rows.map((row) => [row.status, row.n])),
      finished: rows.reduce((sum, row) => sum + row.finished, 0),
      connections: connections.rows[0]?.n ?? 0,
      ...(failure ? { firstFailure: `${failure.status}: ${failure.failure}` } : {}),
    };
  }

  async maxConnections(): Promise<number> {
    const { rows } = await this.client.query<{ max_connections: string }>('SHOW max_connections');
    return Number(rows[0]?.max_connections);
  }

  close(): Promise<void> {
    return this.client.end();
  }
}

/** Polls the records until `done` says so; throws after `timeoutMs`, or at once when `fail` says why. */
export async function waitForRecords(
  records: ReleaseRecords,
  servicePrefix: string,
  check: { done: (counts: RecordCounts) => boolean; fail?: (counts: RecordCounts) => string | undefined },
  timeoutMs: number,
  onPoll: (counts: RecordCounts) => void,
): Promise<RecordCounts> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await records.count(servicePrefix);
    onPoll(counts);
    if (check.done(counts)) return counts;
    const failure = check.fail?.(counts);
    if (failure) throw new Error(failure);
    if (Date.now() > deadline) {
      throw new Error(`gave up after ${timeoutMs / 1000} s: ${JSON.stringify(counts.byStatus)}`);
    }
    await delay(500);
  }
}
