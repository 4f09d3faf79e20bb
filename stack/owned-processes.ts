// The long-lived servers the local stack starts (PostgreSQL, the Temporal dev server) and how it finds
// them again. A launcher killed with SIGKILL, or crashed, cannot stop its children, so each is
// recorded in a pid file under the state dir together with its start time; the next start stops
// exactly those. A pid alone is not enough: after a reboot or a long pause it may name an unrelated
// program, which must never be touched.
import { type ChildProcess, execFileSync, type SpawnOptions, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export interface ProcessRecord {
  pid: number;
  /** From /proc/<pid>/stat (with the boot id) or `ps -o lstart`: together with the pid, one process. */
  startTime: string;
  /** What it is, for messages: `PostgreSQL`, `Temporal dev server`. */
  what: string;
  /** How it is asked to stop (PostgreSQL: SIGINT, a fast shutdown). */
  stopSignal: NodeJS.Signals;
}

export type LeftoverOutcome = 'stopped' | 'gone' | 'not-ours';

const POLL_INTERVAL_MS = 50;
const KILL_WAIT_MS = 5_000;

/**
 * The fields of /proc/<pid>/stat from field 3 (state) on — index 0 is field 3 — or undefined when
 * there is no such process. The command name before them, in parentheses, may hold spaces and ')'.
 */
export function procStatFields(pid: number): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** When the process started, or undefined when there is no such process (a zombie counts as none). */
export function processStartTime(pid: number): string | undefined {
  if (process.platform === 'linux') {
    // Field 22 (starttime, clock ticks after boot) is the 20th from field 3.
    const fields = procStatFields(pid);
    if (!fields || fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return `${bootId()}:${fields[19]}`;
  }
  try {
    const started = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return started === '' ? undefined : started;
  } catch {
    return undefined;
  }
}

let cachedBootId: string | undefined;

/** Start times count from boot, so after a reboot the same pid and start time can recur. */
function bootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = '';
    }
  }
  return cachedBootId;
}

/** True while `record` names the very process it was written for. */
export function isRecordedProcessAlive(record: ProcessRecord): boolean {
  return processStartTime(record.pid) === record.startTime;
}

/**
 * Writes the record for a child just spawned (or for this process), atomically: a reader never sees
 * half a file.
 */
export function recordProcess(
  file: string,
  { pid }: { pid?: number | undefined },
  what: string,
  stopSignal: NodeJS.Signals,
): void {
  const startTime = pid === undefined ? undefined : processStartTime(pid);
  if (pid === undefined || startTime === undefined) return; // it already died; nothing to find later
  const record: ProcessRecord = { pid, startTime, what, stopSignal };
  mkdirSync(dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, `${JSON.stringify(record)}\n`);
  renameSync(partial, file);
}

/** The record in `file`, if it names a live process that is the very one recorded. */
export function liveRecordedProcess(file: string): ProcessRecord | undefined {
  const record = readRecord(file);
  return record && isRecordedProcessAlive(record) ? record : undefined;
}

/** Removes the record; with `pid`, only while it is still that process's (not a successor's). */
export function forgetProcess(file: string, pid?: number): void {
  if (pid !== undefined && readRecord(file)?.pid !== pid) return;
  rmSync(file, { force: true });
}

function readRecord(file: string): ProcessRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as Partial<ProcessRecord>;
    if (typeof record.pid !== 'number' || typeof record.startTime !== 'string') return undefined;
    return {
      pid: record.pid,
      startTime: record.startTime,
      what: record.what ?? `process ${record.pid}`,
      stopSignal: record.stopSignal ?? 'SIGTERM',
    };
  } catch {
    return undefined;
  }
}

function signalIfOurs(record: ProcessRecord, signal: NodeJS.Signals): void {
  if (!isRecordedProcessAlive(record)) return;
  try {
    process.kill(record.pid, signal);
  } catch {
    // Gone between the check and the signal.
  }
}

async function waitUntilGone(record: ProcessRecord, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRecordedProcessAlive(record)) {
    if (Date.now() >= deadline) return false;
    await delay(POLL_INTERVAL_MS);
  }
  return true;
}

/**
 * Stops the process `file` records if it is still the very process recorded (same pid, same start
 * time): its stop signal, then SIGKILL after `graceMs`. The record is removed either way.
 */
export async function stopRecordedProcess(file: string, graceMs: number): Promise<LeftoverOutcome | 'none'> {
  const record = readRecord(file);
  if (record === undefined) {
    forgetProcess(file);
    return 'none';
  }
  const current = processStartTime(record.pid);
  if (current !== record.startTime) {
    forgetProcess(file);
    return current === undefined ? 'gone' : 'not-ours';
  }
  signalIfOurs(record, record.stopSignal);
  if (!(await waitUntilGone(record, graceMs))) {
    signalIfOurs(record, 'SIGKILL');
    if (!(await waitUntilGone(record, KILL_WAIT_MS))) {
      throw new Error(`${record.what} (pid ${record.pid}) left by an earlier run does not stop; kill it`);
    }
  }
  forgetProcess(file);
  return 'stopped';
}

/** Stops every process recorded in `dir` (see stopRecordedProcess), all at once. */
export async function stopRecordedProcesses(
  dir: string,
  graceMs: number,
  log: (line: string) => void,
): Promise<void> {
  let files: string[];
  try {
    files = readdirSync(dir).filter((name) => name.endsWith('.json'));
  } catch {
    return;
  }
  await Promise.all(
    files.map(async (name) => {
      const file = join(dir, name);
      const record = readRecord(file);
      const outcome = await stopRecordedProcess(file, graceMs);
      if (!record) return;
      if (outcome === 'stopped') log(`stopped ${record.what} (pid ${record.pid}) left by an earlier run`);
      if (outcome === 'not-ours') {
        log(`pid ${record.pid} recorded for ${record.what} is now another program; left alone`);
      }
    }),
  );
}

/** SIGKILL to every process recorded in `dir` that is still the one recorded; for a forced exit. */
export function killRecordedProcesses(dir: string): void {
  let files: string[];
  try {
    files = readdirSync(dir).filter((name) => name.endsWith('.json'));
  } catch {
    return;
  }
  for (const name of files) {
    const record = readRecord(join(dir, name));
    if (record) signalIfOurs(record, 'SIGKILL');
  }
}

let pdeathsigSupported: boolean | undefined;

/** util-linux's setpriv can set the parent-death signal, which Node cannot set for a child itself. */
function canSetParentDeathSignal(): boolean {
  if (process.platform !== 'linux') return false;
  pdeathsigSupported ??= (() => {
    const help = spawnSync('setpriv', ['--help'], { encoding: 'utf8' });
    return help.status === 0 && help.stdout.includes('--pdeathsig');
  })();
  return pdeathsigSupported;
}

/**
 * Spawns a server that belongs to this process. It gets a process group of its own, so a terminal's
 * Ctrl-C reaches only this process, which stops its servers in order; and, where the OS allows
 * (Linux with setpriv), the kernel sends it `deathSignal` when this process dies, even by SIGKILL.
 * Elsewhere the pid file written by the caller lets the next start stop it.
 */
export function spawnServer(
  command: string,
  args: string[],
  options: SpawnOptions,
  deathSignal: NodeJS.Signals,
): ChildProcess {
  const detached = { ...options, detached: true };
  if (!canSetParentDeathSignal()) return spawn(command, args, detached);
  // setpriv execs the server in place: the pid (and start time) are the server's.
  return spawn('setpriv', ['--pdeathsig', deathSignal.replace(/^SIG/, ''), '--', command, ...args], detached);
}

/** Records `child` in `file` for as long as it runs: the record goes when it exits. */
export function recordWhileRunning(
  file: string,
  child: ChildProcess,
  label: string,
  stopSignal: NodeJS.Signals,
): void {
  recordProcess(file, child, label, stopSignal);
  child.once('exit', () => forgetProcess(file, child.pid));
}
