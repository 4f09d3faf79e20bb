import { type ExpectedActive, TARGET_CHANGED_CODE } from '../target/model.js';

/**
 * Client for the demo target's control API. Timeouts cover the agent's worst case: a deploy
 * may stop the old instance (3 s grace) and then wait up to 20 s for the new one.
 */
const DEPLOY_TIMEOUT_MS = 30_000;
const QUERY_TIMEOUT_MS = 10_000;

export class AgentError extends Error {}

/** The agent refused because its active colour was not the one the caller expected (409 "target-changed"). */
export class AgentTargetChangedError extends AgentError {}

function errorMessageOf(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && 'error' in body && typeof body.error === 'string') {
    return body.error;
  }
  return undefined;
}

function errorCodeOf(body: unknown): unknown {
  return typeof body === 'object' && body !== null && 'code' in body ? body.code : undefined;
}

async function callAgent(agentUrl: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const url = new URL(path, agentUrl);
  const timeoutMs = method === 'PUT' || method === 'DELETE' ? DEPLOY_TIMEOUT_MS : QUERY_TIMEOUT_MS;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const reason =
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${timeoutMs / 1000} s`
        : describeFetchError(error);
    throw new AgentError(`cannot reach the demo target at ${agentUrl}: ${reason}`);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AgentError(
      `demo target answered ${method} ${url.pathname} with ${response.status} and a non-JSON body`,
    );
  }
  if (!response.ok) {
    const message = `demo target refused ${method} ${url.pathname} (${response.status}): ${errorMessageOf(json) ?? text}`;
    if (response.status === 409 && errorCodeOf(json) === TARGET_CHANGED_CODE)
      throw new AgentTargetChangedError(message);
    throw new AgentError(message);
  }
  return json;
}

/** fetch hides the useful part (ECONNREFUSED and the like) in `cause`. */
function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

const environmentPath = (env: string) => `/environments/${encodeURIComponent(env)}`;

/**
 * What a change carries so that the agent refuses one that does not fit what the caller saw (see
 * ExpectedActive; without it the agent checks nothing) and does a repeated one only once.
 */
export interface ChangeGuard {
  expectActive?: ExpectedActive;
  idempotencyKey?: string;
}

const colourPath = (env: string, colour: string) => `${environmentPath(env)}/colours/${colour}`;

export function deployColour(
  agentUrl: string,
  env: string,
  colour: string,
  version: string,
  guard: ChangeGuard = {},
): Promise<unknown> {
  return callAgent(agentUrl, 'PUT', colourPath(env, colour), { version, ...guard });
}

export function switchActiveColour(agentUrl: string, env: string, colour: string, guard: ChangeGuard = {}) {
  return callAgent(agentUrl, 'PUT', `${environmentPath(env)}/active`, { colour, ...guard });
}

export function environmentStatus(agentUrl: string, env: string): Promise<unknown> {
  return callAgent(agentUrl, 'GET', environmentPath(env));
}

export function retireColour(agentUrl: string, env: string, colour: string, guard: ChangeGuard = {}) {
  const guarded = guard.expectActive !== undefined || guard.idempotencyKey !== undefined;
  return callAgent(agentUrl, 'DELETE', colourPath(env, colour), guarded ? guard : undefined);
}

/** edm-sender's instances in one environment, with the version each runs. */
export function listInstances(agentUrl: string, env: string): Promise<unknown> {
  return callAgent(agentUrl, 'GET', `${environmentPath(env)}/instances`);
}

export function instanceStatus(agentUrl: string, env: string, instance: string): Promise<unknown> {
  return callAgent(agentUrl, 'GET', `${environmentPath(env)}/instances/${encodeURIComponent(instance)}`);
}

/** Without `expectVersion` the agent checks nothing; with it, it refuses when the instance runs another. */
export function updateInstance(
  agentUrl: string,
  env: string,
  instance: string,
  version: string,
  expectVersion?: string,
  idempotencyKey?: string,
): Promise<unknown> {
  return callAgent(agentUrl, 'PUT', `${environmentPath(env)}/instances/${encodeURIComponent(instance)}`, {
    version,
    expectVersion,
    idempotencyKey,
  });
}

/** edm-web's configuration bundle in force in one environment. */
export function configStatus(agentUrl: string, env: string): Promise<unknown> {
  return callAgent(agentUrl, 'GET', `${environmentPath(env)}/config`);
}

/** Without `expectRevision` the agent checks nothing; with it (null: none), it refuses when another is in force. */
export function applyConfig(
  agentUrl: string,
  env: string,
  revision: string,
  expectRevision?: string | null,
  idempotencyKey?: string,
): Promise<unknown> {
  return callAgent(agentUrl, 'PUT', `${environmentPath(env)}/config`, {
    revision,
    expectRevision,
    idempotencyKey,
  });
}
