// The processes a rolling rollback starts, timed alone on the idle stack after the runs: each
// restored instance is two driver commands (update, then check), each a fresh
// `node demo/dist/edm-ctl.mjs` process, and the update stops the instance's process and starts a new
// one, also from its bundle (demo/program-bundles.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { execa } from 'execa';
import { demoProgramPaths } from '../../demo/program-bundles.js';
import { getFreePort } from '../../stack/free-port.js';
import { projectRoot } from '../../stack/temporal-binaries.js';
import { median } from './bench-stats.js';
import { BENCH_ENVIRONMENT } from './rollback-stack.js';

/** One edm-ctl command that only asks the agent: the cost of starting a driver command. */
async function timeEdmCtl(agentUrl: string): Promise<number> {
  const started = performance.now();
  await execa(
    process.execPath,
    [demoProgramPaths('edm-ctl').bundle, 'instances', '--agent', agentUrl, '--env', BENCH_ENVIRONMENT],
    { cwd: projectRoot },
  );
  return performance.now() - started;
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(500) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** An edm-sender process as the agent starts one: from its bundle, timed until /health answers, then stopped. */
async function timeSenderStart(
  track: (child: ChildProcess) => () => void,
): Promise<{ startMs: number; stopMs: number }> {
  const port = await getFreePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      demoProgramPaths('edm-sender-server').bundle,
      '--port',
      String(port),
      '--version',
      '1.0.0',
      '--instance',
      'bench-probe',
    ],
    { cwd: projectRoot, stdio: 'ignore' },
  );
  const untrack = track(child);
  try {
    const deadline = started + 20_000;
    while (!(await answers(`http://127.0.0.1:${port}/health`))) {
      if (performance.now() > deadline) throw new Error('edm-sender did not answer within 20 s');
      await delay(10);
    }
    const startMs = performance.now() - started;
    const stopping = performance.now();
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
    return { startMs, stopMs: performance.now() - stopping };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    untrack();
  }
}

export interface ProcessCosts {
  edmCtlMs: number;
  senderStartMs: number;
  senderStopMs: number;
}

/** Medians of three of each, measured one after the other on the otherwise idle stack. */
export async function measureProcessCosts(
  agentUrl: string,
  track: (child: ChildProcess) => () => void,
): Promise<ProcessCosts> {
  const edmCtl: number[] = [];
  const starts: number[] = [];
  const stops: number[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    edmCtl.push(await timeEdmCtl(agentUrl));
    const { startMs, stopMs } = await timeSenderStart(track);
    starts.push(startMs);
    stops.push(stopMs);
  }
  return { edmCtlMs: median(edmCtl), senderStartMs: median(starts), senderStopMs: median(stops) };
}
