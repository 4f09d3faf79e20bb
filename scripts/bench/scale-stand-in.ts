// The stand-in target (scale-stand-in-target.ts) as a process of its own, so its CPU is measured
// apart from the benchmark's; and what one driver action costs as a process.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { getFreePort } from '../../stack/free-port.js';
import { projectRoot } from '../../stack/temporal-binaries.js';
import { waitUntilAnswers } from '../../stack/wait-until-answers.js';
import { reapedChildrenCpuSeconds } from './scale-process-usage.js';

export interface StandInTarget {
  url: string;
  pid: number;
  /** How many of each action it answered. */
  stats(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 5_000;

export async function startStandInTarget(): Promise<StandInTarget> {
  const port = await getFreePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(projectRoot, 'scripts', 'bench', 'scale-stand-in-target.ts'),
      '--port',
      String(port),
    ],
    { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(force);
    }
    process.off('exit', killOnExit);
  };
  try {
    await waitUntilAnswers(`${url}/stats`, { exited, what: 'the stand-in target' });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    pid: child.pid as number,
    async stats() {
      const response = await fetch(`${url}/stats`);
      return ((await response.json()) as { answered: Record<string, number> }).answered;
    },
    stop,
  };
}

export interface ActionProcessCost {
  /** Wall time of one call, spawn to exit, in ms. */
  wallMs: number;
  /** CPU time of the process itself, in ms. */
  cpuMs: number;
}

/** Runs a command `count` times one after another: its mean wall and CPU time per run. */
export function measureProcessCost(argv: string[], count: number): ActionProcessCost {
  const [file, ...args] = argv;
  if (!file) throw new Error('empty command');
  const cpuBefore = reapedChildrenCpuSeconds();
  const started = performance.now();
  for (let run = 0; run < count; run++) execFileSync(file, args, { stdio: 'ignore' });
  const wallMs = (performance.now() - started) / count;
  // Clock ticks are coarse (10 ms): summed over the runs, the mean is still fine.
  const cpuMs = ((reapedChildrenCpuSeconds() - cpuBefore) * 1000) / count;
  return { wallMs, cpuMs };
}

/** One inspect as the stand-in services ask it (curl), and the same asked by the smallest node script. */
export function measureActionCosts(standInUrl: string): { curl: ActionProcessCost; node: ActionProcessCost } {
  const url = `${standInUrl}/cost-probe/test/inspect`;
  return {
    curl: measureProcessCost(['curl', '-sf', url], 40),
    node: measureProcessCost(
      [process.execPath, '-e', `fetch(${JSON.stringify(url)}).then((r) => r.text())`],
      10,
    ),
  };
}
