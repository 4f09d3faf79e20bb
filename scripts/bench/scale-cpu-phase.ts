// Where a phase of the benchmark spent its CPU: each measured process (with what runs under it),
// this benchmark process itself, and the machine as a whole, so a row can say what the limit was.
import { availableParallelism } from 'node:os';
import { machineCpuTicks, type TreeCpu, treeCpuSeconds } from './scale-process-usage.js';
import type { MeasuredProcess } from './scale-stacks.js';

export interface ProcessShare {
  name: string;
  /** Cores it kept busy on average over the phase (CPU seconds / wall seconds), with its children. */
  cores: number;
  /** Of which its children (a worker's driver commands, PostgreSQL's backends). */
  childCores: number;
}

export interface PhaseCpu {
  wallSeconds: number;
  processes: ProcessShare[];
  /** The machine's busy share over the phase, 0..1, whoever the CPU went to. */
  machineBusy: number;
  /** Cores busy with processes outside the stack and this benchmark (the machine is shared). */
  outsideCores: number;
  /** Why the phase took as long as it did, as far as CPU tells. */
  limit: string;
}

/** A process near one whole core is saturated: a Node process runs its JavaScript on one thread. */
const SATURATED_CORES = 0.85;
const MACHINE_SATURATED = 0.85;
const MACHINE_CORES = availableParallelism();
/** Beyond this, other work on the shared machine is named as part of the limit. */
const OUTSIDE_NOTABLE_CORES = 0.3;

const ownCpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

export class CpuPhase {
  private readonly startedAt = performance.now();
  private readonly before: Map<number, TreeCpu>;
  private readonly ownBefore = ownCpuSeconds();
  private readonly machineBefore = machineCpuTicks();

  constructor(private readonly processes: readonly MeasuredProcess[]) {
    this.before = treeCpuSeconds(processes.map((measured) => measured.pid));
  }

  finish(): PhaseCpu {
    const wallSeconds = (performance.now() - this.startedAt) / 1000;
    const after = treeCpuSeconds(this.processes.map((measured) => measured.pid));
    const machine = machineCpuTicks();
    const zero = { total: 0, own: 0 };
    const processes: ProcessShare[] = [
      ...this.processes.map((measured) => {
        const now = after.get(measured.pid) ?? zero;
        const then = this.before.get(measured.pid) ?? zero;
        return {
          name: measured.name,
          cores: (now.total - then.total) / wallSeconds,
          childCores: (now.total - now.own - (then.total - then.own)) / wallSeconds,
        };
      }),
      // This process: the load generator, the record polls, the demo target and (cluster) the balancers.
      { name: 'benchmark process', cores: (ownCpuSeconds() - this.ownBefore) / wallSeconds, childCores: 0 },
    ].sort((a, b) => b.cores - a.cores);
    const totalTicks = Math.max(1, machine.total - this.machineBefore.total);
    const machineBusy = (machine.busy - this.machineBefore.busy) / totalTicks;
    const measuredCores = processes.reduce((sum, share) => sum + share.cores, 0);
    const outsideCores = Math.max(0, machineBusy * MACHINE_CORES - measuredCores);
    return {
      wallSeconds,
      processes,
      machineBusy,
      outsideCores,
      limit: limitOf(processes, machineBusy, outsideCores),
    };
  }
}

function limitOf(processes: readonly ProcessShare[], machineBusy: number, outsideCores: number): string {
  const busiest = processes[0];
  if (!busiest) return 'nothing measured';
  const at = `${busiest.name} at ${busiest.cores.toFixed(2)} core`;
  if (busiest.cores >= SATURATED_CORES) return `CPU of ${at} (one core saturated)`;
  if (machineBusy >= MACHINE_SATURATED) {
    const shared =
      outsideCores >= OUTSIDE_NOTABLE_CORES
        ? `, ${outsideCores.toFixed(2)} core of it other work on the machine`
        : '';
    return `the machine's CPU (${percent(machineBusy)} busy${shared}; busiest here ${at})`;
  }
  return `no CPU saturated (machine ${percent(machineBusy)} busy, busiest ${at}): time went to waits (Temporal's task round trips, timers, I/O)`;
}

const percent = (share: number) => `${Math.round(share * 100)} %`;

/** "worker 0.93 (children 0.20), Temporal dev server 0.41, …" (cores), for a row's note. */
export function sharesText(phase: PhaseCpu): string {
  return phase.processes
    .filter((share) => share.cores >= 0.01)
    .map((share) => {
      const children = share.childCores >= 0.01 ? ` (children ${share.childCores.toFixed(2)})` : '';
      return `${share.name} ${share.cores.toFixed(2)}${children}`;
    })
    .join(', ');
}
