// Posting a message to a webhook. Webhook URLs carry their credentials (a WeCom robot's key in the
// query, a Slack hook's secret in the path), so only the URL's origin ever appears in an error or log.
import { AlertNotDelivered, SEND_TIMEOUT_MS } from './alert-channel.js';

export interface PostAnswer {
  status: number;
  body: string;
}

/** The URL from the worker's environment variable `urlEnv` (R-SECRETS). */
export function webhookUrl(channel: string, urlEnv: string, env: NodeJS.ProcessEnv): URL {
  const value = env[urlEnv];
  if (!value) {
    throw new AlertNotDelivered(
      `channel ${channel}: the worker's environment has no ${urlEnv}; set it to the channel's webhook URL`,
    );
  }
  try {
    return new URL(value);
  } catch {
    throw new AlertNotDelivered(`channel ${channel}: ${urlEnv} does not hold a URL`);
  }
}

/** What may be shown of a webhook URL: scheme, host and port. */
export const shownUrl = (url: URL): string => url.origin;

export async function postJson(
  channel: string,
  url: URL,
  body: unknown,
  timeoutMs = SEND_TIMEOUT_MS,
): Promise<PostAnswer> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'runway-alerts' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
  } catch (error) {
    const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause : error) : undefined;
    const reason =
      cause?.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : String(cause?.message ?? error);
    throw new AlertNotDelivered(`channel ${channel}: POST to ${shownUrl(url)} failed: ${reason}`);
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    throw new AlertNotDelivered(
      `channel ${channel}: ${shownUrl(url)} answered HTTP ${response.status}: ${text.slice(0, 200)}`,
    );
  }
  return { status: response.status, body: text };
}
