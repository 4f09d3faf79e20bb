// Runway's workers and API replicas as processes of their own, running the compiled code in dist/
// (npm run build), as production runs them: `node dist/worker/main.js`, `node dist/api/main.js`.
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { recordWhileRunning, spawnServer } from '../owned-processes.js';
import { projectRoot } from '../temporal-binaries.js';

export type RunwayRole = 'worker' | 'api';

export interface RunwayProcess {
  name: string;
  role: RunwayRole;
  readonly pid: number | undefined;
  /** Resolves when the process has exited (any way). */
  readonly exited: Promise<void>;
  /** SIGTERM (the process drains), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** kill -9. */
  kill(): Promise<void>;
}

const STOP_GRACE_MS = 30_000;

/** The compiled entry point of a role; a clear error when the build is missing. */
export function compiledEntry(role: RunwayRole, distDir = join(projectRoot, 'dist')): string {
  const entry = join(distDir, role, 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  return entry;
}

export function launchRunwayProcess(options: {
  name: string;
  role: RunwayRole;
  env: NodeJS.ProcessEnv;
  logDir: string;
  distDir?: string;
  pidsDir?: string;
}): RunwayProcess {
  const entry = compiledEntry(options.role, options.distDir);
  const output = createWriteStream(join(options.logDir, `${options.name}.log`), { flags: 'a' });
  const child: ChildProcess = spawnServer(
    process.execPath,
    [entry],
    { env: options.env, cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    'SIGTERM',
  );
  child.stdout?.pipe(output);
  child.stderr?.pipe(output);
  const record = options.pidsDir ? join(options.pidsDir, `${options.name}.json`) : undefined;
  if (record) recordWhileRunning(record, child, `Runway ${options.name}`, 'SIGTERM');
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const signal = async (name: NodeJS.Signals, graceMs: number) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(name);
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(force);
  };
  return {
    name: options.name,
    role: options.role,
    get pid() {
      return child.pid;
    },
    exited,
    stop: (graceMs = STOP_GRACE_MS) => signal('SIGTERM', graceMs),
    kill: () => signal('SIGKILL', 0),
  };
}
