// The commands a worker runs (driver actions, the migration tool), found through /proc, so a case
// can let one of them finish on the target and kill the worker before it reports the result.
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { isProcessAlive } from '../../demo/target/processes.js';

export interface ChildCommand {
  pid: number;
  argv: string[];
}

/** The live children of `parentPid`, with their command lines. */
export function childrenOf(parentPid: number): ChildCommand[] {
  const children: ChildCommand[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name in parentheses may hold spaces: the state, then the parent, follow the last ')'.
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent !== parentPid) continue;
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      children.push({ pid: Number(name), argv });
    } catch {
      // Gone between the listing and the read.
    }
  }
  return children;
}

export async function untilGone(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} still runs after ${timeoutMs / 1000} s`);
    await delay(25);
  }
}
