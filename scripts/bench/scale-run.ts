// One server's scale run: start the stack and a fresh stand-in target (its services start empty,
// so every release is a first deploy), start N releases, wait until all wait at their gate, read
// memory, approve them all, wait until all have ended; CPU is read per phase.

import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCALE_START_RATE_LIMIT, standInServiceName } from './scale-config.js';
import { CpuPhase, type PhaseCpu } from './scale-cpu-phase.js';
import type { ScaleInstall } from './scale-install.js';
import { rssMiB } from './scale-process-usage.js';
import {
  APPROVERS,
  approveReleases,
  type CallCounter,
  type RecordCounts,
  ReleaseRecords,
  type StartedReleases,
  startReleases,
  waitForRecords,
} from './scale-releases.js';
import { type MeasuredProcess, type ScaleServer, type ScaleStack, startScaleStack } from './scale-stacks.js';
import { startStandInTarget } from './scale-stand-in.js';
import { readWorkerMemory, type WorkerMemory } from './scale-worker-memory.js';

/** Requests in flight at once, for starts and for approvals: a busy team's scripts, not a flood. */
const CONCURRENCY = 16;
const PROGRESS_EVERY_MS = 5_000;
const SERVICE_PREFIX = 'scale-';
/** Generous: the point is to measure how long it takes, not to give up early on a slow machine. */
const timeoutFor = (releases: number) => Math.max(300_000, releases * 3_000);

export interface ServerRun {
  server: ScaleServer;
  releases: number;
  concurrency: number;
  approvers: number;
  startRateLimit: string;
  starts: StartedReleases;
  startRetries: number;
  /** From the first start request until every release waits at its gate. */
  atGateMs: number;
  startCpu: PhaseCpu;
  workers: { name: string; memory: WorkerMemory }[];
  peakWorkerRssMiB: number;
  apiRssMiB: { name: string; rssMiB: number }[];
  temporalRssMiB: number;
  approvals: CallCounter;
  /** From the first approval sent until every release has ended. */
  drainMs: number;
  drainCpu: PhaseCpu;
  finalStatuses: Record<string, number>;
  peakConnections: number;
  maxConnections: number;
}

export interface ServerRunOptions {
  releases: number;
  install: ScaleInstall;
  log: (line: string) => void;
  /** Registers a stop for an interruption (SIGINT); the run also stops what it started itself. */
  registerStop: (stop: () => Promise<void>) => void;
}

/** A stop that runs once, however often it is called (by the run, and by an interruption). */
function once(stop: () => Promise<void>): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= stop();
    return stopping;
  };
}

/** Logs where things stand every few seconds while a phase runs, and the workers' peak RSS. */
class ProgressTicker {
  peakWorkerRssMiB = 0;
  counts: RecordCounts = { byStatus: {}, finished: 0, connections: 0 };
  peakConnections = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    records: ReleaseRecords,
    private readonly workers: readonly MeasuredProcess[],
    log: (line: string) => void,
    describe: () => string,
  ) {
    this.timer = setInterval(() => {
      this.sampleWorkers();
      // Between the phases' own polls too (while starting): PostgreSQL's connections peak there.
      void records.count(SERVICE_PREFIX).then(
        (counts) => this.recordPolled(counts),
        () => {},
      );
      log(
        `${describe()}; records ${JSON.stringify(this.counts.byStatus)}; worker RSS ${this.workerRss()}; PostgreSQL connections ${this.counts.connections}`,
      );
    }, PROGRESS_EVERY_MS);
  }

  /** The latest poll of the records, and the peak of PostgreSQL's connections so far. */
  recordPolled(counts: RecordCounts): void {
    this.counts = counts;
    this.peakConnections = Math.max(this.peakConnections, counts.connections);
  }

  sampleWorkers(): void {
    for (const worker of this.workers) {
      this.peakWorkerRssMiB = Math.max(this.peakWorkerRssMiB, rssMiB(worker.pid) ?? 0);
    }
  }

  private workerRss(): string {
    return this.workers.map((worker) => `${Math.round(rssMiB(worker.pid) ?? 0)} MiB`).join(' + ');
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

async function measure(stack: ScaleStack, options: ServerRunOptions, standInPid: number): Promise<ServerRun> {
  const { releases, log } = options;
  const services = Array.from({ length: releases }, (_, index) => standInServiceName(index));
  const workers = stack.processes.filter((measured) => measured.role === 'worker');
  const measured = [
    ...stack.processes,
    { name: 'stand-in target', role: 'stand-in' as const, pid: standInPid },
  ];
  const records = await ReleaseRecords.connect(stack.databaseUrl);
  let phase = 'starting';
  let started = 0;
  let approved = 0;
  const ticker = new ProgressTicker(records, workers, log, () =>
    phase === 'starting' ? `${started}/${releases} started` : `${approved}/${releases} approved`,
  );
  try {
    const startCpu = new CpuPhase(measured);
    const firstStart = performance.now();
    const starts = await startReleases(stack, services, CONCURRENCY, () => started++);
    log(
      `all ${releases} started in ${(starts.durationMs / 1000).toFixed(1)} s; waiting until all wait at their gate`,
    );
    phase = 'gates';
    await waitForRecords(
      records,
      SERVICE_PREFIX,
      {
        done: (counts) => counts.byStatus['awaiting-approval'] === releases,
        fail: (counts) =>
          counts.finished > 0 ? `a release ended before its gate: ${counts.firstFailure}` : undefined,
      },
      timeoutFor(releases),
      (counts) => ticker.recordPolled(counts),
    );
    const atGateMs = performance.now() - firstStart;
    const startPhase = startCpu.finish();
    ticker.sampleWorkers();
    const workerMemory = await Promise.all(
      workers.map(async (worker) => ({
        name: worker.name,
        memory: await readWorkerMemory(worker.pid, stack.workerLogs[worker.name] as string),
      })),
    );
    const apiRssMiB = stack.processes
      .filter((process) => process.role === 'API')
      .map((api) => ({ name: api.name, rssMiB: rssMiB(api.pid) ?? 0 }));
    const temporalRssMiB = stack.processes
      .filter((process) => process.role === 'Temporal')
      .reduce((sum, node) => sum + (rssMiB(node.pid) ?? 0), 0);
    log(`all ${releases} wait at their gate after ${(atGateMs / 1000).toFixed(1)} s; approving`);

    phase = 'approving';
    const drainCpu = new CpuPhase(measured);
    const firstApproval = performance.now();
    const approvals = await approveReleases(stack, starts.ids, CONCURRENCY, () => approved++);
    log(
      `all approved after ${((performance.now() - firstApproval) / 1000).toFixed(1)} s; waiting until all have ended`,
    );
    const final = await waitForRecords(
      records,
      SERVICE_PREFIX,
      { done: (counts) => counts.finished === releases },
      timeoutFor(releases),
      (counts) => ticker.recordPolled(counts),
    );
    const drainMs = performance.now() - firstApproval;
    return {
      server: stack.server,
      releases,
      concurrency: CONCURRENCY,
      approvers: APPROVERS.length,
      startRateLimit: `a burst of ${SCALE_START_RATE_LIMIT.burst}, ${SCALE_START_RATE_LIMIT.perMinute} a minute`,
      starts,
      startRetries: starts.counter.retries,
      atGateMs,
      startCpu: startPhase,
      workers: workerMemory,
      peakWorkerRssMiB: ticker.peakWorkerRssMiB,
      apiRssMiB,
      temporalRssMiB,
      approvals,
      drainMs,
      drainCpu: drainCpu.finish(),
      finalStatuses: final.byStatus,
      peakConnections: ticker.peakConnections,
      maxConnections: await records.maxConnections(),
    };
  } finally {
    ticker.stop();
    await records.close();
  }
}

/** A failed run's logs outlive the stack, which removes its folder when it stops. */
async function keepLogs(stack: ScaleStack, log: (line: string) => void): Promise<void> {
  const kept = await mkdtemp(join(tmpdir(), `runway-scale-${stack.server}-logs-`));
  await cp(stack.logDir, kept, { recursive: true }).catch(() => {});
  log(`the stack's logs are kept in ${kept}`);
}

export async function runScaleOnServer(server: ScaleServer, options: ServerRunOptions): Promise<ServerRun> {
  const standIn = await startStandInTarget();
  const stopStandIn = once(standIn.stop);
  options.registerStop(stopStandIn);
  try {
    const stack = await startScaleStack(server, {
      releases: options.releases,
      standInUrl: standIn.url,
      install: options.install,
      log: options.log,
    });
    const stopStack = once(stack.stop);
    options.registerStop(stopStack);
    try {
      const run = await measure(stack, options, standIn.pid);
      options.log(`stand-in answered ${JSON.stringify(await standIn.stats())}`);
      return run;
    } catch (error) {
      await keepLogs(stack, options.log);
      throw error;
    } finally {
      options.log('stopping the stack…');
      await stopStack();
    }
  } finally {
    await stopStandIn();
  }
}
