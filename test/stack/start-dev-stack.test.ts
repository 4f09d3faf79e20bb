// `npm start` itself, as a real process: the whole stack comes up, starts the demo release, stops
// everything on Ctrl-C (SIGINT), and on the next start finds the release still in flight; it also
// recovers from being killed with SIGKILL, stops when nobody reads its output any more, and says in
// one line why it cannot start. It runs on free ports and its own state folders, beside any stack
// already running here; the durability cases run from a copy of this checkout inside a private
// (0700) folder, as a clone into /root is.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_DIR } from '../../config/load-config.js';
import { getFreePort, isPortFree } from '../../stack/free-port.js';
import { processStartTime, stopRecordedProcesses } from '../../stack/owned-processes.js';
import { projectRoot } from '../../stack/temporal-binaries.js';
import { freePortRun } from '../support/runway-stack.js';
import { createPrivateCheckout, type PrivateCheckout } from './fixtures/private-checkout.js';

let dir: string;
let checkout: PrivateCheckout;
let env: Record<string, string>;
let ports: { api: number; temporal: number; ui: number; postgres: number; agent: number; proxies: number[] };
/** Every state folder a test used, to clean up after a failed test. */
const stateDirs: string[] = [];
const launchers: ChildProcess[] = [];
/** Every server seen running (pid and start time), to clean up after a failed test. */
const seenServers: ServerProcess[] = [];

/** The shipped configuration, with every environment's demo service moved onto free ports. */
async function writeConfig(configDir: string): Promise<void> {
  await cp(DEFAULT_CONFIG_DIR, configDir, { recursive: true, filter: (source) => !source.endsWith('.ts') });
  const environmentsDir = join(configDir, 'environments');
  for (const name of ['development', 'test', 'staging', 'production']) {
    const file = join(environmentsDir, `${name}.yml`);
    const environment = parse(await readFile(file, 'utf8'));
    const proxy = await freePortRun(3);
    ports.proxies.push(proxy);
    environment.services['edm-web'].url = `http://127.0.0.1:${proxy}`;
    environment.services['edm-web'].vars.agent = `http://127.0.0.1:${ports.agent}`;
    await writeFile(file, stringify(environment));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runway-start-'));
  ports = {
    api: await getFreePort(),
    temporal: await getFreePort(),
    ui: await getFreePort(),
    postgres: await getFreePort(),
    agent: await getFreePort(),
    proxies: [],
  };
  await mkdir(join(dir, 'state'));
  await writeConfig(join(dir, 'config'));
  const {
    RUNWAY_DATABASE_URL: _ignored,
    RUNWAY_MIGRATION_DATABASE_URL: _ignoredOwner,
    RUNWAY_STATE_DIR: _default,
    ...inherited
  } = process.env as Record<string, string>;
  env = {
    ...inherited,
    RUNWAY_CONFIG_DIR: join(dir, 'config'),
    RUNWAY_POSTGRES_PORT: String(ports.postgres),
    RUNWAY_API_PORT: String(ports.api),
    RUNWAY_TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    RUNWAY_TEMPORAL_WEB_URL: `http://localhost:${ports.ui}`,
    // Beside a running `npm start`, whose /metrics hold the default ports.
    RUNWAY_API_METRICS_LISTEN: '127.0.0.1:0',
    RUNWAY_WORKER_METRICS_LISTEN: '127.0.0.1:0',
  };
  checkout = await createPrivateCheckout();
});

afterAll(async () => {
  // Only after a failed test is anything still running here.
  for (const launcher of launchers) if (launcher.exitCode === null) launcher.kill('SIGKILL');
  for (const stateDir of stateDirs) await stopRecordedProcesses(join(stateDir, 'pids'), 5_000, () => {});
  for (const server of running(seenServers)) process.kill(server.pid, 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
  if (checkout) {
    // As root the cluster of the checkout's own .runway went to the temp dir (a private home folder
    // is not the postgres user's to enter); see resolveDataDirForRoot.
    const dataDir = join(checkout.dir, '.runway', 'postgres');
    const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
    await rm(join(tmpdir(), `runway-postgres-${hash}`), { recursive: true, force: true });
    await checkout.remove();
  }
});

interface RunningStack {
  process: ResultPromise;
  stateDir: string;
  output: () => string;
}

/** `npm start` in `cwd`; without `stateDir` it keeps its state where a user's would be: `<cwd>/.runway`. */
async function startStack(options: { cwd?: string; stateDir?: string } = {}): Promise<RunningStack> {
  const cwd = options.cwd ?? projectRoot;
  const stateDir = options.stateDir ?? join(cwd, '.runway');
  stateDirs.push(stateDir);
  const child = execa(process.execPath, ['--import', 'tsx', 'stack/start-dev-stack.ts'], {
    cwd,
    env: options.stateDir ? { ...env, RUNWAY_STATE_DIR: options.stateDir } : env,
    extendEnv: false,
    all: true,
    reject: false,
  });
  launchers.push(child);
  let output = '';
  child.all?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await waitForOutput(child, () => output, 'press Ctrl-C to stop everything');
  serverProcesses(stateDir);
  return { process: child, stateDir, output: () => output };
}

async function waitForOutput(child: ChildProcess, output: () => string, text: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!output().includes(text)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGINT');
      throw new Error(`the stack did not come up:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Every port the stack listens on, including each environment's proxy and its blue and green instances. */
async function boundPorts(): Promise<number[]> {
  const colours = ports.proxies.flatMap((proxy) => [proxy + 1, proxy + 2]);
  const stillBound = [];
  for (const port of [
    ports.api,
    ports.temporal,
    ports.ui,
    ports.postgres,
    ports.agent,
    ...ports.proxies,
    ...colours,
  ]) {
    if (!(await isPortFree(port))) stillBound.push(port);
  }
  return stillBound;
}

async function stopWithCtrlC(stack: RunningStack): Promise<void> {
  stack.process.kill('SIGINT');
  await stack.process;
  expect(stack.output()).toContain('[runway] stopped');
  expect(await boundPorts()).toEqual([]);
}

interface ServerProcess {
  what: string;
  pid: number;
  startTime: string | undefined;
}

/** The demo target's instances its state file records (it keeps no start times: read them now). */
function demoInstances(stateDir: string): ServerProcess[] {
  let demo: { environments: Record<string, { colours: Record<string, { pid: number | null } | null> }> };
  try {
    demo = JSON.parse(readFileSync(join(stateDir, 'demo', 'state.json'), 'utf8'));
  } catch {
    return [];
  }
  return Object.entries(demo.environments).flatMap(([name, environment]) =>
    Object.entries(environment.colours).flatMap(([colour, deployment]) =>
      deployment?.pid
        ? [{ what: `${name}/${colour}`, pid: deployment.pid, startTime: processStartTime(deployment.pid) }]
        : [],
    ),
  );
}

/** The servers a running stack started: those in its pid files and the demo target's instances. */
function serverProcesses(stateDir: string): ServerProcess[] {
  const pidsDir = join(stateDir, 'pids');
  const recorded = readdirSync(pidsDir).map((file) => {
    const { pid, startTime, what } = JSON.parse(readFileSync(join(pidsDir, file), 'utf8'));
    return { what, pid, startTime };
  });
  const servers = [...recorded, ...demoInstances(stateDir)];
  seenServers.push(...servers);
  return servers;
}

function running(servers: ServerProcess[]): ServerProcess[] {
  return servers.filter((server) => processStartTime(server.pid) === server.startTime);
}

async function stillRunning(servers: ServerProcess[]): Promise<ServerProcess[]> {
  // A process asked to stop may take a moment to be gone after the port it held was released.
  const deadline = Date.now() + 5_000;
  for (;;) {
    const left = running(servers);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function tokenOf(stateDir: string, variable: string): Promise<string> {
  const file = await readFile(join(stateDir, 'demo.env'), 'utf8');
  const match = new RegExp(`^export ${variable}=(\\S+)$`, 'm').exec(file);
  if (!match?.[1]) throw new Error(`${variable} not in demo.env`);
  return match[1];
}

async function releaseStatus(stateDir: string, id: string): Promise<string> {
  const response = await fetch(`http://localhost:${ports.api}/api/v1/releases/${id}`, {
    headers: { authorization: `Bearer ${await tokenOf(stateDir, 'RUNWAY_TOKEN_DEV_CHEN')}` },
  });
  return ((await response.json()) as { status: string }).status;
}

function demoReleaseId(stack: RunningStack): string {
  const id = /demo release (\S+) started/.exec(stack.output())?.[1];
  expect(id).toMatch(/^edm-web-regular-1\.1\.0-/);
  return id as string;
}

/**
 * Temporal Web is told the API's codec endpoint, and the endpoint decrypts for Temporal Web's
 * origin with no token: the release's input, encrypted in the history, reads in clear.
 */
async function expectTemporalWebDecodes(id: string): Promise<void> {
  const web = `http://localhost:${ports.ui}`;
  const codec = `http://localhost:${ports.api}/codec`;
  expect(await (await fetch(`${web}/api/v1/settings`)).text()).toContain(codec);
  const history = (await (
    await fetch(`${web}/api/v1/namespaces/default/workflows/${encodeURIComponent(id)}/history`)
  ).json()) as { history: { events: { workflowExecutionStartedEventAttributes?: { input: unknown } }[] } };
  const input = history.history.events[0]?.workflowExecutionStartedEventAttributes?.input;
  expect(JSON.stringify(input)).not.toContain('ops-wang');
  const response = await fetch(`${codec}/decode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', origin: web },
    body: JSON.stringify(input),
  });
  expect(response.status).toBe(200);
  const { payloads } = (await response.json()) as { payloads: { data: string }[] };
  expect(Buffer.from(payloads[0]?.data ?? '', 'base64').toString()).toContain(`"releaseId":"${id}"`);
}

describe('npm start', () => {
  it('starts the stack and a demo release, stops everything on Ctrl-C, and resumes the release on the next start', async () => {
    const stateDir = join(dir, 'state');
    const first = await startStack({ stateDir });
    const id = demoReleaseId(first);
    expect(first.output()).toContain(`http://localhost:${ports.api}/docs`);
    await expect
      .poll(() => releaseStatus(stateDir, id), { timeout: 60_000, interval: 500 })
      .toBe('awaiting-approval');
    expect((await fetch(`http://localhost:${ports.ui}/`)).status).toBe(200);
    await expectTemporalWebDecodes(id);
    await stopWithCtrlC(first);

    const second = await startStack({ stateDir });
    expect(second.output()).toContain(`release ${id} is still in flight and continues`);
    expect(await releaseStatus(stateDir, id)).toBe('awaiting-approval');
    await stopWithCtrlC(second);
  });

  it('after kill -9 of the launcher (a clone in a private folder), the next start clears what it left and the release continues', async () => {
    const first = await startStack({ cwd: checkout.dir });
    const stateDir = first.stateDir;
    const id = demoReleaseId(first);
    await expect
      .poll(() => releaseStatus(stateDir, id), { timeout: 60_000, interval: 500 })
      .toBe('awaiting-approval');
    const leftBehind = serverProcesses(stateDir);
    expect(leftBehind.map((server) => server.what)).toEqual(
      expect.arrayContaining(['PostgreSQL', 'Temporal dev server', 'production/blue']),
    );
    first.process.kill('SIGKILL');
    await first.process;

    const second = await startStack({ cwd: checkout.dir });
    expect(second.output()).toContain(`release ${id} is still in flight and continues`);
    expect(await releaseStatus(stateDir, id)).toBe('awaiting-approval');
    const started = serverProcesses(stateDir);

    // A start while a launcher still runs with the same state leaves that one's servers alone.
    const third = await execa(process.execPath, ['--import', 'tsx', 'stack/start-dev-stack.ts'], {
      cwd: checkout.dir,
      env,
      extendEnv: false,
      reject: false,
      timeout: 60_000,
    });
    expect(third.exitCode).toBe(1);
    expect(third.stderr).toBe(
      `[runway] failed to start: Runway already runs with the state in .runway (launcher pid ${second.process.pid}); ` +
        `stop it (Ctrl-C where it runs, or kill ${second.process.pid}) and start again (details in ${join('.runway', 'logs', 'runway.log')})`,
    );
    expect(running(started)).toEqual(started);
    await stopWithCtrlC(second);
    expect(await stillRunning([...leftBehind, ...started])).toEqual([]);
  });

  it('ends everything within 45 s of Ctrl-C while a workflow task never ends (its record write is blocked)', async () => {
    const stateDir = join(dir, 'state-stuck');
    const stack = await startStack({ stateDir });
    const id = demoReleaseId(stack);
    await expect
      .poll(() => releaseStatus(stateDir, id), { timeout: 60_000, interval: 500 })
      .toBe('awaiting-approval');
    const servers = serverProcesses(stateDir);
    // Another session holds the release's row: the approval's record write waits on it, times out
    // and is retried for as long as the row stays locked, inside one workflow task.
    const blocker = new pg.Client(`postgres://runway:runway@127.0.0.1:${ports.postgres}/runway`);
    blocker.on('error', () => {}); // the server goes away under it while the stack stops
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM releases WHERE id = $1 FOR UPDATE', [id]);
    const approval = fetch(`http://localhost:${ports.api}/api/v1/releases/${id}/approvals`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await tokenOf(stateDir, 'RUNWAY_TOKEN_PM_LI')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ decision: 'approve' }),
    }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    const stopping = Date.now();
    stack.process.kill('SIGINT');
    await stack.process;
    const tookMs = Date.now() - stopping;
    console.info(`stopped ${tookMs} ms after Ctrl-C with a workflow task stuck in retries`);
    expect(tookMs).toBeLessThan(45_000);
    expect(await boundPorts()).toEqual([]);
    expect(await stillRunning(servers)).toEqual([]);
    await approval;
    await blocker.end().catch(() => {});
  });

  it('stops everything and exits on Ctrl-C when nobody reads its output any more (npm start | tee, tee gone)', async () => {
    const stateDir = join(dir, 'state-pipe');
    stateDirs.push(stateDir);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'stack/start-dev-stack.ts', '--no-demo-release'],
      {
        cwd: checkout.dir,
        env: { ...env, RUNWAY_STATE_DIR: stateDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    launchers.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await waitForOutput(child, () => stdout, 'press Ctrl-C to stop everything');
    const servers = serverProcesses(stateDir);

    child.stdout.destroy(); // the reader of the pipe is gone: every write now fails with EPIPE
    const exited = once(child, 'exit');
    const stopping = Date.now();
    child.kill('SIGINT');
    const outcome = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(() => resolve('still running after 30 s'), 30_000)),
    ]);
    console.info(`stopped ${Date.now() - stopping} ms after Ctrl-C with its output pipe gone`);
    expect(outcome).toEqual([130, null]);
    expect(stderr).toBe('');
    expect(await boundPorts()).toEqual([]);
    expect(await stillRunning(servers)).toEqual([]);
  });

  it('says in one line why it cannot start, stops what it had started, and exits non-zero', async () => {
    const stateDir = join(dir, 'state-busy');
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(ports.postgres, '127.0.0.1', resolve));
    try {
      const run = await execa(process.execPath, ['--import', 'tsx', 'stack/start-dev-stack.ts'], {
        cwd: projectRoot,
        env: { ...env, RUNWAY_STATE_DIR: stateDir },
        extendEnv: false,
        reject: false,
        timeout: 60_000,
      });
      stateDirs.push(stateDir);
      expect(run.exitCode).toBe(1);
      const logFile = relative(projectRoot, join(stateDir, 'logs', 'runway.log'));
      expect(run.stderr).toBe(
        `[runway] failed to start: Cannot start PostgreSQL: port 127.0.0.1:${ports.postgres} is already in use; ` +
          `stop what listens there or choose another port (details in ${logFile})`,
      );
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    expect((await boundPorts()).filter((port) => port !== ports.postgres)).toEqual([]);
  });
});
