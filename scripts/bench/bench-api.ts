// The benchmarks' calls to Runway's HTTP API, as the demo identities make them.
import { setTimeout as delay } from 'node:timers/promises';

export interface ApiTarget {
  apiUrl: string;
  /** Identity name → bearer token. */
  tokens: Record<string, string>;
}

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

export async function callApi(
  target: ApiTarget,
  method: string,
  path: string,
  as: string,
  body?: unknown,
): Promise<ApiAnswer> {
  const response = await fetch(`${target.apiUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${target.tokens[as]}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Where a release can end. */
export const ENDED = ['succeeded', 'failed', 'rolled-back', 'cancelled'];

/** Polls the release until its status is one of `statuses`; fails on an end not asked for. */
export async function waitForStatus(
  target: ApiTarget,
  id: string,
  statuses: string[],
  timeoutMs = 120_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { status, body } = await callApi(target, 'GET', `/releases/${id}`, 'dev-chen');
    if (status !== 200) throw new Error(`GET /releases/${id} answered ${status}: ${JSON.stringify(body)}`);
    if (statuses.includes(body.status as string)) return body;
    if (ENDED.includes(body.status as string))
      throw new Error(`release ${id} ended ${body.status}: ${JSON.stringify(body.failure)}`);
    await delay(250);
  }
  throw new Error(`release ${id} did not reach ${statuses.join('/')} in ${timeoutMs / 1000} s`);
}

/** Starts a release as `as` and returns its id; anything but 201 is an error. */
export async function startRelease(
  target: ApiTarget,
  as: string,
  body: Record<string, unknown>,
): Promise<string> {
  const started = await callApi(target, 'POST', '/releases', as, body);
  if (started.status !== 201 || typeof started.body.id !== 'string')
    throw new Error(`POST /releases answered ${started.status}: ${JSON.stringify(started.body)}`);
  return started.body.id;
}

/**
 * A regular release of edm-web from request to production: the change approval by the product
 * manager and the tech lead as soon as it waits, the rest as the runbook goes.
 */
export async function releaseToProduction(target: ApiTarget, version: string): Promise<string> {
  const started = await callApi(target, 'POST', '/releases', 'ops-wang', {
    type: 'regular',
    service: 'edm-web',
    version,
  });
  if (started.status !== 201)
    throw new Error(`start answered ${started.status}: ${JSON.stringify(started.body)}`);
  const id = started.body.id as string;
  await waitForStatus(target, id, ['awaiting-approval']);
  for (const approver of ['pm-li', 'tl-zhang']) {
    const decided = await callApi(target, 'POST', `/releases/${id}/approvals`, approver, {
      decision: 'approve',
    });
    if (decided.status !== 202) throw new Error(`${approver}'s approval answered ${decided.status}`);
  }
  await waitForStatus(target, id, ['succeeded']);
  return id;
}
