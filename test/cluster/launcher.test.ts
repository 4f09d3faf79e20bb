// `npm run cluster` as a person uses it: the launcher started as its own process, killed -9 (its
// servers die with it, and the next start is not in the way), then stopped with Ctrl-C.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../demo/target/processes.js';
import { freePortBelowEphemeral, isPortFree } from '../../stack/free-port.js';
import { projectRoot } from '../../stack/temporal-binaries.js';
import { writeConfig } from '../crash/crash-stack.js';

let dir: string;
let env: NodeJS.ProcessEnv;
let ports: number[];
const launched: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runway-cluster-launcher-'));
  await writeConfig(join(dir, 'config'), await freePortBelowEphemeral());
  ports = [
    await freePortBelowEphemeral(),
    await freePortBelowEphemeral(),
    await freePortBelowEphemeral(),
    await freePortBelowEphemeral(),
  ];
  env = {
    ...process.env,
    RUNWAY_CONFIG_DIR: join(dir, 'config'),
    RUNWAY_CLUSTER_STATE_DIR: join(dir, 'state'),
    RUNWAY_CLUSTER_TEMPORAL_PORT: String(ports[0]),
    RUNWAY_CLUSTER_WEB_PORT: String(ports[1]),
    RUNWAY_CLUSTER_API_PORT: String(ports[2]),
    RUNWAY_CLUSTER_POSTGRES_PORT: String(ports[3]),
  };
});

afterAll(async () => {
  for (const child of launched) if (child.exitCode === null) child.kill('SIGKILL');
  await delay(2_000);
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

/** Starts the launcher; resolves once it says it runs, with everything it printed. */
async function launch(): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [join(projectRoot, 'dist', 'stack', 'cluster', 'start-cluster.js')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  launched.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 180_000;
  while (!output.includes('press Ctrl-C')) {
    if (child.exitCode !== null) throw new Error(`the launcher exited ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`the launcher did not start within 180 s:\n${output}`);
    await delay(200);
  }
  return { child, output: () => output };
}

/** The pids of every server the launcher recorded. */
async function recordedPids(): Promise<number[]> {
  const pidsDir = join(dir, 'state', 'pids');
  const files = await readdir(pidsDir);
  return Promise.all(
    files.map(
      async (file) => (JSON.parse(await readFile(join(pidsDir, file), 'utf8')) as { pid: number }).pid,
    ),
  );
}

async function untilGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids.filter(isProcessAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await delay(200);
    alive = alive.filter(isProcessAlive);
  }
  return alive;
}

describe('npm run cluster', () => {
  it('takes its servers with it when killed -9, starts again over what it left, and stops on Ctrl-C', async () => {
    const first = await launch();
    const servers = await recordedPids();
    // Two Temporal nodes, Temporal Web, two workers, two API replicas, PostgreSQL.
    expect(servers.length).toBeGreaterThanOrEqual(8);
    first.child.kill('SIGKILL');
    // The servers die with it (parent-death signal); whatever a crash leaves, the next start stops.
    await untilGone(servers, 15_000);
    const second = await launch();
    expect(second.output()).toContain('running (started in');
    expect(await untilGone(servers, 1_000)).toEqual([]);
    const again = await recordedPids();
    const stopped = Date.now();
    second.child.kill('SIGINT');
    const code = await new Promise((resolve) => second.child.once('exit', resolve));
    console.info(`cluster stopped ${Date.now() - stopped} ms after Ctrl-C`);
    expect(code).toBe(130);
    expect(await untilGone(again, 5_000)).toEqual([]);
    expect(await Promise.all(ports.map((port) => isPortFree(port)))).toEqual(ports.map(() => true));
  });
});
