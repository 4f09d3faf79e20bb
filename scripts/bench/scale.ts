// `npm run bench`'s scale section: N releases waiting at their approval gate at once, then all
// approved through the HTTP API and run to their end, on Temporal's dev server and on the 2-node
// cluster on PostgreSQL. Every release has a service of its own (one release per service at a
// time) answered by one stand-in target process (scale-stand-in-target.ts), and walks a runbook
// with no window step (scale-install.ts): TEST, the change approval, production.
import { availableParallelism } from 'node:os';
import { type BenchRow, figure } from './bench-row.js';
import { type PhaseCpu, sharesText } from './scale-cpu-phase.js';
import { prepareScaleInstall } from './scale-install.js';
import { runScaleOnServer, type ServerRun } from './scale-run.js';
import { type ScaleServer, SERVER_LABELS } from './scale-stacks.js';
import { type ActionProcessCost, measureActionCosts, startStandInTarget } from './scale-stand-in.js';
import { startedThings, stoppedOnInterrupt } from './stopped-on-interrupt.js';

export interface ScaleOptions {
  releases: number;
  servers: ScaleServer[];
}

const GROUP = 'scale';
const MEMORY_TARGET_MIB = 1024;

const progress = (line: string) => process.stderr.write(`[scale] ${line}\n`);
const mib = (value: number) => `${Math.round(value)} MiB`;
const cpuNote = (phase: PhaseCpu) =>
  `limit: ${phase.limit}. CPU in cores over ${phase.wallSeconds.toFixed(0)} s: ${sharesText(phase)}; outside the stack ${phase.outsideCores.toFixed(2)}; machine ${Math.round(phase.machineBusy * 100)} % busy (${availableParallelism()} cores)`;

function percentile(values: readonly number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? Number.NaN;
}

const latencyText = (values: readonly number[]) =>
  `p50 ${percentile(values, 0.5).toFixed(0)} ms, p95 ${percentile(values, 0.95).toFixed(0)} ms`;

function rowsOf(run: ServerRun): BenchRow[] {
  const where = SERVER_LABELS[run.server];
  const row = (name: string, unit: string, value: number, rest: Partial<BenchRow> = {}): BenchRow => ({
    group: GROUP,
    name: `${where}: ${name}`,
    unit,
    runway: figure('Runway', [value]),
    ...rest,
  });
  const worstWorker = run.workers.reduce((a, b) => (b.memory.rssMiB > a.memory.rssMiB ? b : a));
  const worstHeap = run.workers.reduce((a, b) => (b.memory.heapUsedMiB > a.memory.heapUsedMiB ? b : a));
  const eachWorker = run.workers
    .map(
      (worker) => `${worker.name} ${mib(worker.memory.rssMiB)} RSS, ${mib(worker.memory.heapUsedMiB)} heap`,
    )
    .join('; ');
  const startSeconds = run.starts.durationMs / 1000;
  const drainSeconds = run.drainMs / 1000;
  const outcome = Object.entries(run.finalStatuses)
    .map(([status, count]) => `${count} ${status}`)
    .join(', ');
  return [
    row('releases started', 'releases', run.starts.ids.length, {
      note: `${run.startRetries} start requests sent again (503/429/no answer); start rate limit raised to ${run.startRateLimit} for the run`,
    }),
    row('start throughput', 'releases/s', run.starts.ids.length / startSeconds, {
      note: `${run.concurrency} starts in flight; POST /releases ${latencyText(run.starts.counter.latenciesMs)}; ${cpuNote(run.startCpu)}`,
    }),
    row(`time until all ${run.releases} wait at their gate`, 's', run.atGateMs / 1000, {
      note: `from the first start request; Temporal RSS ${mib(run.temporalRssMiB)} at that moment`,
    }),
    row('worker RSS with all at the gate', 'MiB', worstWorker.memory.rssMiB, {
      target: `< ${MEMORY_TARGET_MIB}`,
      met: worstWorker.memory.rssMiB < MEMORY_TARGET_MIB,
      note: `${run.workers.length > 1 ? `the larger of ${run.workers.length} workers: ` : ''}${eachWorker}; peak RSS seen ${mib(run.peakWorkerRssMiB)}`,
    }),
    row('worker heap used with all at the gate', 'MiB', worstHeap.memory.heapUsedMiB, {
      target: `< ${MEMORY_TARGET_MIB}`,
      met: worstHeap.memory.heapUsedMiB < MEMORY_TARGET_MIB,
      note: "nodejs_heap_size_used_bytes from the worker's /metrics: the main thread's V8 heap only; the workflow threads' isolates and the Temporal core are in RSS, not here",
    }),
    row('API RSS with all at the gate', 'MiB', Math.max(...run.apiRssMiB.map((api) => api.rssMiB)), {
      note: run.apiRssMiB.map((api) => `${api.name} ${mib(api.rssMiB)}`).join(', '),
    }),
    row('approvals drain: first approval → all finished', 's', drainSeconds, {
      note: `${run.approvers} approvals per release, ${run.concurrency} releases approved at a time; ${cpuNote(run.drainCpu)}`,
    }),
    row('PostgreSQL client connections, peak', 'connections', run.peakConnections, {
      note: `of max_connections ${run.maxConnections}${run.server === 'cluster' ? ": Temporal's two nodes share it with Runway's processes (stack/cluster/connection-budget.ts)" : ''}`,
    }),
    row('drain throughput', 'releases/s', run.releases / drainSeconds, {
      note: `POST approvals ${latencyText(run.approvals.latenciesMs)}, ${run.approvals.retries} sent again; ended: ${outcome}`,
    }),
  ];
}

function actionCostRow(cost: { curl: ActionProcessCost; node: ActionProcessCost }): BenchRow {
  return {
    group: GROUP,
    name: 'stand-in driver action as a process (curl)',
    unit: 'ms',
    runway: figure('Runway', [cost.curl.wallMs]),
    note: `each action the stand-in services ask is one curl call: ${cost.curl.wallMs.toFixed(1)} ms wall, ${cost.curl.cpuMs.toFixed(1)} ms CPU; the same asked by a minimal node script: ${cost.node.wallMs.toFixed(0)} ms wall, ${cost.node.cpuMs.toFixed(0)} ms CPU. A release runs 8 actions plus 1 inspect at its start`,
  };
}

/** What one action costs as a process, asked of a stand-in target of its own. */
async function measureWithStandIn<T>(work: (url: string) => T): Promise<T> {
  const standIn = await startStandInTarget();
  try {
    return work(standIn.url);
  } finally {
    await standIn.stop();
  }
}

/**
 * Runs the measurement on each server in turn, everything it started stopped before the next (and
 * on Ctrl-C or SIGTERM). Needs dist/ (`npm run build:dist`); the cluster also the server binaries it builds once.
 */
export async function measureScale(options: ScaleOptions): Promise<BenchRow[]> {
  const started = startedThings();
  return stoppedOnInterrupt(started.stopAll, async () => {
    const install = await prepareScaleInstall();
    started.add(install.remove);
    const rows = [actionCostRow(await measureWithStandIn(measureActionCosts))];
    for (const server of options.servers) {
      const run = await runScaleOnServer(server, {
        releases: options.releases,
        install,
        log: (line) => progress(`${SERVER_LABELS[server]}: ${line}`),
        registerStop: (stop) => started.add(stop),
      });
      rows.push(...rowsOf(run));
    }
    return rows;
  });
}
