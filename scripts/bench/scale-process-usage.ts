// What each process of a stack costs, read from /proc: resident memory, and CPU time of a process
// with everything under it. CPU of children counts too: PostgreSQL works in one backend per
// connection, a worker runs each driver action as a child (curl), and the children that already
// exited are in their parent's cutime/cstime once reaped.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { procStatFields } from '../../stack/owned-processes.js';

const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, in ticks. */
  own: number;
  /** cutime + cstime: children waited for, in ticks. */
  reapedChildren: number;
}

function readStat(pid: number): ProcStat | undefined {
  const fields = procStatFields(pid);
  if (!fields) return undefined;
  const number = (field: number) => Number(fields[field - 3]);
  return { pid, ppid: number(4), own: number(14) + number(15), reapedChildren: number(16) + number(17) };
}

function allStats(): ProcStat[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => readStat(Number(name)) ?? []);
}

/** CPU seconds of the children a process has waited for (cutime + cstime). */
export function reapedChildrenCpuSeconds(pid: number = process.pid): number {
  return (readStat(pid)?.reapedChildren ?? 0) / CLOCK_TICKS_PER_SECOND;
}

export interface TreeCpu {
  /** The process with all its live descendants and all children reaped so far. */
  total: number;
  /** The process alone. */
  own: number;
}

/** CPU seconds of each root, alone and with everything under it. */
export function treeCpuSeconds(roots: readonly number[]): Map<number, TreeCpu> {
  const stats = allStats();
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  const byPid = new Map(stats.map((stat) => [stat.pid, stat]));
  const ticksUnder = (stat: ProcStat): number =>
    stat.own +
    stat.reapedChildren +
    (children.get(stat.pid) ?? []).reduce((sum, child) => sum + ticksUnder(child), 0);
  return new Map(
    roots.map((pid) => {
      const stat = byPid.get(pid);
      const seconds = (ticks: number) => ticks / CLOCK_TICKS_PER_SECOND;
      return [
        pid,
        stat ? { total: seconds(ticksUnder(stat)), own: seconds(stat.own) } : { total: 0, own: 0 },
      ];
    }),
  );
}

/** Resident memory in MiB (VmRSS), or undefined once the process is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The whole machine's busy and total CPU time, in ticks (the first line of /proc/stat). */
export function machineCpuTicks(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  // idle and iowait.
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}
