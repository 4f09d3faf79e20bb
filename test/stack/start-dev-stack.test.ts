// `npm start` itself, as a real process: the whole stack comes up, starts the demo release, stops
// everything on Ctrl-C (SIGINT), and on the next start finds the release still in flight. It runs
// on free ports and its own state folder, beside any stack already running here.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEFAULT_CONFIG_DIR } from '../../config/load-config.js';
import { getFreePort, isPortFree } from '../../stack/free-port.js';
import { projectRoot } from '../../stack/temporal-binaries.js';
import { freePortRun } from '../support/runway-stack.js';

let dir: string;
let env: Record<string, string>;
let ports: { api: number; temporal: number; ui: number; postgres: number; agent: number; proxies: number[] };

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
  const { RUNWAY_DATABASE_URL: _ignored, ...inherited } = process.env as Record<string, string>;
  env = {
    ...inherited,
    RUNWAY_CONFIG_DIR: join(dir, 'config'),
    RUNWAY_STATE_DIR: join(dir, 'state'),
    RUNWAY_POSTGRES_PORT: String(ports.postgres),
    RUNWAY_API_PORT: String(ports.api),
    RUNWAY_TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    RUNWAY_TEMPORAL_WEB_URL: `http://localhost:${ports.ui}`,
  };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface RunningStack {
  process: ResultPromise;
  output: () => string;
}

async function startStack(): Promise<RunningStack> {
  const child = execa(process.execPath, ['--import', 'tsx', 'stack/start-dev-stack.ts'], {
    cwd: projectRoot,
    env,
    extendEnv: false,
    all: true,
    reject: false,
  });
  let output = '';
  child.all?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 120_000;
  while (!output.includes('press Ctrl-C to stop everything')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGINT');
      throw new Error(`the stack did not come up:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { process: child, output: () => output };
}

async function stopWithCtrlC(stack: RunningStack): Promise<void> {
  stack.process.kill('SIGINT');
  await stack.process;
  expect(stack.output()).toContain('[runway] stopped');
  const stillBound = [];
  // Every server it started, including each environment's proxy and its blue and green instances.
  const colours = ports.proxies.flatMap((proxy) => [proxy + 1, proxy + 2]);
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
  expect(stillBound).toEqual([]);
}

async function tokenOf(variable: string): Promise<string> {
  const file = await readFile(join(dir, 'state', 'demo.env'), 'utf8');
  const match = new RegExp(`^export ${variable}=(\\S+)$`, 'm').exec(file);
  if (!match?.[1]) throw new Error(`${variable} not in demo.env`);
  return match[1];
}

async function releaseStatus(id: string): Promise<string> {
  const response = await fetch(`http://localhost:${ports.api}/api/v1/releases/${id}`, {
    headers: { authorization: `Bearer ${await tokenOf('RUNWAY_TOKEN_DEV_CHEN')}` },
  });
  return ((await response.json()) as { status: string }).status;
}

describe('npm start', () => {
  it('starts the stack and a demo release, stops everything on Ctrl-C, and resumes the release on the next start', async () => {
    const first = await startStack();
    const id = /demo release (\S+) started/.exec(first.output())?.[1];
    expect(id).toMatch(/^edm-web-regular-1\.1\.0-/);
    expect(first.output()).toContain(`http://localhost:${ports.api}/docs`);
    await expect
      .poll(() => releaseStatus(id as string), { timeout: 60_000, interval: 500 })
      .toBe('awaiting-approval');
    expect((await fetch(`http://localhost:${ports.ui}/`)).status).toBe(200);
    await stopWithCtrlC(first);

    const second = await startStack();
    expect(second.output()).toContain(`release ${id} is still in flight and continues`);
    expect(await releaseStatus(id as string)).toBe('awaiting-approval');
    await stopWithCtrlC(second);
  });
});
