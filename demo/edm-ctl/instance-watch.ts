/**
 * Watches edm-sender's instances, each on its own port, until every one answers a given version
 * healthily: when a rolling rollback put each back, as the instance itself says (not the proxy).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { SenderInstanceStatus } from '../target/model.js';
import { listInstances } from './agent-client.js';

export interface InstanceArrival {
  instance: string;
  port: number;
  /** performance.now() when it first answered the version with /health 200. */
  at: number;
}

async function answers(port: number, version: string): Promise<boolean> {
  try {
    const signal = AbortSignal.timeout(1000);
    const [versionAnswer, health] = await Promise.all([
      fetch(`http://127.0.0.1:${port}/version`, { signal }),
      fetch(`http://127.0.0.1:${port}/health`, { signal }),
    ]);
    const body = (await versionAnswer.json()) as { version?: unknown };
    await health.arrayBuffer();
    return body.version === version && health.status === 200;
  } catch {
    return false;
  }
}

/** Resolves with each instance's arrival on `version`, in arrival order; rejects after `timeoutMs`. */
export async function watchInstancesUntil(
  agentUrl: string,
  environment: string,
  version: string,
  options: { intervalMs?: number; timeoutMs?: number } = {},
): Promise<InstanceArrival[]> {
  const { intervalMs = 50, timeoutMs = 60_000 } = options;
  const instances = (await listInstances(agentUrl, environment)) as SenderInstanceStatus[];
  const arrivals = new Map<string, InstanceArrival>();
  const deadline = performance.now() + timeoutMs;
  while (arrivals.size < instances.length) {
    if (performance.now() > deadline) {
      const missing = instances
        .filter(({ instance }) => !arrivals.has(instance))
        .map(({ instance }) => instance);
      throw new Error(
        `${missing.join(', ')} of ${environment} did not run ${version} within ${timeoutMs} ms`,
      );
    }
    await Promise.all(
      instances
        .filter(({ instance }) => !arrivals.has(instance))
        .map(async ({ instance, port }) => {
          if (await answers(port, version)) arrivals.set(instance, { instance, port, at: performance.now() });
        }),
    );
    if (arrivals.size < instances.length) await delay(intervalMs);
  }
  return [...arrivals.values()].sort((a, b) => a.at - b.at);
}
