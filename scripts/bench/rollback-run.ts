// One benchmark run: release a `+errors` build to production, watch the service from outside while
// the bake trips and the workflow rolls back, and time it.
import { setTimeout as delay } from 'node:timers/promises';
import type { z } from 'zod';
import type { ReleaseSchema } from '../../api/release-schemas.js';
import { watchInstancesUntil } from '../../demo/edm-ctl/instance-watch.js';
import type { SenderInstanceStatus } from '../../demo/target/model.js';
import { DEMO_ROLLING_SERVICE, DEMO_SERVICE } from '../../stack/demo-target-layout.js';
import type { TestStack } from '../../test/support/runway-stack.js';
import { InstanceTimeline, type RestorePhases, restorePhases } from './rollback-instance-timeline.js';
import { BENCH_ENVIRONMENT, FAULT_AFTER_MS } from './rollback-stack.js';
import { firstFailure, restoredAt, TrafficWatch } from './rollback-traffic-watch.js';

type Release = z.infer<typeof ReleaseSchema>;

export type Strategy = 'blue-green' | 'rolling';

export const SERVICE_OF: Record<Strategy, { service: string; servicePath: string }> = {
  'blue-green': { service: DEMO_SERVICE, servicePath: '/api/campaigns' },
  rolling: { service: DEMO_ROLLING_SERVICE, servicePath: '/api/sends' },
};

const ENDED = new Set(['rolled-back', 'failed', 'succeeded', 'cancelled', 'rejected', 'abandoned']);

export interface CompensationTiming {
  kind: string;
  instance?: string;
  startedAt: number;
  finishedAt: number;
}

export interface RunFigures {
  strategy: Strategy;
  run: number;
  version: string;
  /** The headline: the watcher's first failed answer → the old version back (everywhere, for rolling). */
  firstFailureToRestoredMs: number;
  /** The watcher's first failed answer → the workflow began rolling back (rollback.startedAt). */
  firstFailureToTripMs: number;
  tripToRestoredMs: number;
  /** The workflow's own figure: compensations and the verification checklist. */
  rollbackDurationMs: number | null;
  /** Rolling: the old version back through the proxy, for comparison with per-instance. */
  viaProxyMs?: number;
  trigger: string;
  /** How long after the bake began the watcher started (must stay below the fault delay). */
  watcherLagMs: number;
  compensations: CompensationTiming[];
  /** The workflow began rolling back → its first compensation started. */
  tripToFirstCompensationMs: number;
  /** Rolling: each restored instance's time split into phases. */
  restores: RestorePhases[];
}

/** An ISO time from the release record on this process's performance.now() clock. */
const onPerfClock = (iso: string) => Date.parse(iso) - performance.timeOrigin;

export class BenchRunError extends Error {}

export function releaseClient(stack: TestStack) {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.runway.apiUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${stack.tokens['ops-wang']}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return {
    async start(service: string, version: string): Promise<string> {
      const answer = await call('POST', '/releases', { type: 'regular', service, version });
      if (answer.status !== 201) {
        throw new BenchRunError(
          `starting ${service} ${version}: ${answer.status} ${JSON.stringify(answer.body)}`,
        );
      }
      return String(answer.body.id);
    },
    async get(id: string): Promise<Release> {
      const answer = await call('GET', `/releases/${encodeURIComponent(id)}`);
      if (answer.status !== 200) throw new BenchRunError(`reading ${id}: ${answer.status}`);
      return answer.body as unknown as Release;
    },
  };
}

async function until(
  read: () => Promise<Release>,
  done: (release: Release) => boolean,
  intervalMs: number,
  timeoutMs: number,
): Promise<Release> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const release = await read();
    if (done(release)) return release;
    if (performance.now() > deadline) {
      throw new BenchRunError(
        `release ${release.id} stayed ${release.status} at ${release.currentStep} for ${timeoutMs / 1000} s`,
      );
    }
    await delay(intervalMs);
  }
}

async function servedVersion(url: string): Promise<string> {
  const response = await fetch(`${url}/version`);
  return ((await response.json()) as { version: string }).version;
}

export async function senderInstances(stack: TestStack): Promise<SenderInstanceStatus[]> {
  const response = await fetch(`${stack.demo.controlUrl}/environments/${BENCH_ENVIRONMENT}/instances`);
  return (await response.json()) as SenderInstanceStatus[];
}

/** What runs before the release: one version, on every instance for rolling. */
async function oldVersionOf(stack: TestStack, strategy: Strategy, url: string): Promise<string> {
  const version = await servedVersion(url);
  if (strategy === 'rolling') {
    const versions = new Set((await senderInstances(stack)).map((instance) => instance.version));
    if (versions.size !== 1 || !versions.has(version)) {
      throw new BenchRunError(`production's instances run ${[...versions].join(', ')}, not one version`);
    }
  }
  return version;
}

function compensationTimings(release: Release): CompensationTiming[] {
  return release.rollbackPlan.flatMap((entry) =>
    entry.startedAt && entry.finishedAt
      ? [
          {
            kind: entry.action.kind,
            ...('instance' in entry.action ? { instance: entry.action.instance } : {}),
            startedAt: Date.parse(entry.startedAt),
            finishedAt: Date.parse(entry.finishedAt),
          },
        ]
      : [],
  );
}

export async function measureRun(stack: TestStack, strategy: Strategy, run: number): Promise<RunFigures> {
  const { service, servicePath } = SERVICE_OF[strategy];
  const url = stack.config.environments[BENCH_ENVIRONMENT]?.services[service]?.url;
  if (!url) throw new BenchRunError(`${service} has no URL in ${BENCH_ENVIRONMENT}`);
  const api = releaseClient(stack);
  const oldVersion = await oldVersionOf(stack, strategy, url);
  const version = `1.1.${run}+errors`;
  const id = await api.start(service, version);
  const read = () => api.get(id);

  // Watching through the proxy before the bake would start the faults of a rolling deploy's first
  // batch while the second is still being updated, before any probe could see them.
  const baking = await until(
    read,
    (release) => release.currentStep === 'bake-production' || ENDED.has(release.status),
    25,
    120_000,
  );
  if (ENDED.has(baking.status)) {
    throw new BenchRunError(`${id} ended ${baking.status} before its bake: ${baking.failure?.reason}`);
  }
  const watch = new TrafficWatch(url, servicePath);
  const watcherStarted = performance.now();
  const instancesBack =
    strategy === 'rolling'
      ? watchInstancesUntil(stack.demo.controlUrl, BENCH_ENVIRONMENT, oldVersion, {
          intervalMs: 50,
          timeoutMs: 120_000,
        })
      : undefined;
  instancesBack?.catch(() => undefined);
  const timeline = strategy === 'rolling' ? new InstanceTimeline(await senderInstances(stack)) : undefined;
  let ended: Release;
  try {
    ended = await until(read, (release) => ENDED.has(release.status), 100, 180_000);
    // A second more of answers shows whether the old version stays.
    await delay(1000);
  } finally {
    await watch.stop();
    await timeline?.stop();
  }
  const samples = watch.samples;
  const bake = ended.steps.find((step) => step.id === 'bake-production');
  if (ended.status !== 'rolled-back' || ended.rollback?.cause !== 'automatic' || !bake) {
    throw new BenchRunError(
      `${id} ended ${ended.status} (${ended.rollback?.cause ?? 'no rollback'}): ${ended.failure?.reason}`,
    );
  }
  const seenFailing = firstFailure(samples);
  if (seenFailing === undefined) throw new BenchRunError(`${id}: the watcher never saw the service fail`);
  const proxyRestored = restoredAt(samples, oldVersion);
  const restored =
    strategy === 'rolling'
      ? Math.max(...(await (instancesBack as ReturnType<typeof watchInstancesUntil>)).map((a) => a.at))
      : proxyRestored;
  if (restored === undefined) throw new BenchRunError(`${id}: ${oldVersion} did not come back for good`);
  const trip = onPerfClock(ended.rollback.startedAt);
  // The bake tripped on a failed probe, so a failure came no later than the trip, even when the
  // watcher's requests happened to miss the failing ones until then.
  const failedAt = Math.min(seenFailing, trip);
  const compensations = compensationTimings(ended);
  const watcherLagMs = watcherStarted - onPerfClock(bake.startedAt);
  if (watcherLagMs >= FAULT_AFTER_MS) {
    throw new BenchRunError(
      `${id}: the watcher started ${watcherLagMs.toFixed(0)} ms into the bake, too late`,
    );
  }
  return {
    strategy,
    run,
    version,
    firstFailureToRestoredMs: restored - failedAt,
    firstFailureToTripMs: trip - failedAt,
    tripToRestoredMs: restored - trip,
    rollbackDurationMs: ended.rollback.durationMs,
    ...(strategy === 'rolling' && proxyRestored !== undefined
      ? { viaProxyMs: proxyRestored - failedAt }
      : {}),
    trigger: ended.rollback.automatic?.summary ?? ended.rollback.reason,
    watcherLagMs,
    compensations,
    tripToFirstCompensationMs:
      Math.min(...compensations.map((entry) => entry.startedAt)) - Date.parse(ended.rollback.startedAt),
    restores: timeline
      ? restorePhases(
          timeline,
          compensations.filter((entry) => entry.kind === 'restore-instance'),
          oldVersion,
        )
      : [],
  };
}
