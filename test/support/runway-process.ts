// One of Runway's processes (the API, a worker) started on its own, the way production runs it, so
// a test can stop it, kill -9 it or freeze it. A TypeScript entry runs through tsx, a compiled one
// (dist/…/main.js) with plain node, as in the container image.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { projectRoot } from '../../stack/temporal-binaries.js';

export interface RunwayProcess {
  pid: number;
  /** kill -9, then wait until it is gone. */
  kill9(): Promise<void>;
  /** SIGTERM, SIGKILL after a grace period. */
  stop(): Promise<void>;
  alive(): boolean;
  /** SIGSTOP: the process stands still (its children do not) until it is killed. */
  freeze(): void;
}

const STOP_GRACE_MS = 10_000;

function whenExited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Starts `entry` (relative to the project, or absolute) in the project folder; its output goes to `logFile`. */
export function spawnRunway(entry: string, env: NodeJS.ProcessEnv, logFile: string): RunwayProcess {
  const nodeArguments = entry.endsWith('.ts') ? ['--import', 'tsx', entry] : [entry];
  const child = spawn(process.execPath, nodeArguments, {
    cwd: projectRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = whenExited(child);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    pid: child.pid as number,
    alive: () => child.exitCode === null && child.signalCode === null,
    freeze: () => child.kill('SIGSTOP'),
    async kill9() {
      child.kill('SIGKILL');
      await exited;
      process.off('exit', killOnExit);
    },
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
      process.off('exit', killOnExit);
    },
  };
}
