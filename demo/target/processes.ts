import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

const POLL_INTERVAL_MS = 50;

/**
 * True while `pid` is a live process. A zombie counts as gone: an orphaned instance that
 * was killed may never be reaped when the init process does not reap, yet it holds no port.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may contain spaces; the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** The command line of `pid`, from /proc where there is one (Linux) and from ps elsewhere (macOS). */
export function readCommandLine(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    try {
      return execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }).trim() || null;
    } catch {
      return null;
    }
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return true;
    await delay(POLL_INTERVAL_MS);
  }
  return !isProcessAlive(pid);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone between the check and the signal.
  }
}

/** SIGTERM, then SIGKILL after `graceMs`, for a process that is not our child (so no 'exit' event). */
export async function terminateProcess(pid: number, graceMs: number): Promise<void> {
  signal(pid, 'SIGTERM');
  if (await waitForExit(pid, graceMs)) return;
  signal(pid, 'SIGKILL');
  if (!(await waitForExit(pid, 1000))) {
    throw new Error(`process ${pid} is still alive after SIGKILL`);
  }
}

/**
 * Kill an instance left behind by an agent that crashed, so its port is free again.
 * Only a process whose command line runs one of `serverPaths` is touched: after a reboot or a
 * long pause the recorded pid may belong to something unrelated.
 */
export async function killOrphanedInstance(
  pid: number,
  serverPaths: readonly string[],
  graceMs: number,
): Promise<'killed' | 'gone' | 'not-ours'> {
  if (!isProcessAlive(pid)) return 'gone';
  const commandLine = readCommandLine(pid);
  if (commandLine === null || !serverPaths.some((path) => commandLine.includes(path))) return 'not-ours';
  await terminateProcess(pid, graceMs);
  return 'killed';
}
