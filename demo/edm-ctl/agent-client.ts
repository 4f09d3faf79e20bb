/**
 * Client for the demo target's control API. Timeouts cover the agent's worst case: a deploy
 * may stop the old instance (3 s grace) and then wait up to 20 s for the new one.
 */
const DEPLOY_TIMEOUT_MS = 30_000;
const QUERY_TIMEOUT_MS = 10_000;

export class AgentError extends Error {}

function errorMessageOf(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && 'error' in body && typeof body.error === 'string') {
    return body.error;
  }
  return undefined;
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
    throw new AgentError(
      `demo target refused ${method} ${url.pathname} (${response.status}): ${errorMessageOf(json) ?? text}`,
    );
  }
  return json;
}

/** fetch hides the useful part (ECONNREFUSED and the like) in `cause`. */
function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

const environmentPath = (env: string) => `/environments/${encodeURIComponent(env)}`;

export function deployColour(
  agentUrl: string,
  env: string,
  colour: string,
  version: string,
): Promise<unknown> {
  return callAgent(agentUrl, 'PUT', `${environmentPath(env)}/colours/${colour}`, { version });
}

export function switchActiveColour(agentUrl: string, env: string, colour: string): Promise<unknown> {
  return callAgent(agentUrl, 'PUT', `${environmentPath(env)}/active`, { colour });
}

export function environmentStatus(agentUrl: string, env: string): Promise<unknown> {
  return callAgent(agentUrl, 'GET', environmentPath(env));
}

export function stopColour(agentUrl: string, env: string, colour: string): Promise<unknown> {
  return callAgent(agentUrl, 'DELETE', `${environmentPath(env)}/colours/${colour}`);
}
