// The two stacks the scale benchmark runs on, seen the same way: where the API is, the tokens, the
// database to watch the records in, and which processes to measure. Both run the same compiled
// Runway (scale-install.ts) with the same configuration (test/crash's writeConfig plus the
// stand-in services), so only the Temporal server and the number of replicas differ:
// - dev: the crash suite's stack, Temporal's dev server (SQLite), one API, one worker;
// - cluster: `npm run cluster`'s topology, two Temporal nodes on PostgreSQL with mTLS, two API
//   replicas behind a balancer, two workers.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { startClusterStack } from '../../stack/cluster/cluster-stack.js';
import { getFreePort } from '../../stack/free-port.js';
import { startCrashStack, writeConfig } from '../../test/crash/crash-stack.js';
import { RELEASE_WORKFLOW_BUNDLE } from '../../worker/create-release-worker.js';
import { addStandInServices } from './scale-config.js';
import type { ScaleInstall } from './scale-install.js';

export type ScaleServer = 'dev' | 'cluster';

export const SERVER_LABELS: Record<ScaleServer, string> = {
  dev: 'dev server',
  cluster: 'cluster',
};

export interface MeasuredProcess {
  /** What it is, e.g. "worker-1", "Temporal node-1". */
  name: string;
  role: 'worker' | 'API' | 'Temporal' | 'PostgreSQL' | 'stand-in';
  pid: number;
}

export interface ScaleStack {
  server: ScaleServer;
  apiUrl: string;
  token(identity: string): string;
  /** The owner's URL of Runway's database, where the benchmark watches the release records. */
  databaseUrl: string;
  processes: MeasuredProcess[];
  /** Each worker's log, where it says its /metrics address. */
  workerLogs: Record<string, string>;
  /** Where every process of the stack logs (removed with the stack). */
  logDir: string;
  stop(): Promise<void>;
}

export interface ScaleStackOptions {
  releases: number;
  standInUrl: string;
  install: ScaleInstall;
  log: (line: string) => void;
}

/**
 * The shipped timings (heartbeat timeout, idempotency lease: 30 s), not the crash suite's 3 s:
 * on a saturated 2-core machine a 3 s heartbeat timeout would retry activities that are only slow.
 */
const PRODUCTION_TIMINGS = { RUNWAY_HEARTBEAT_TIMEOUT_SECONDS: '30', RUNWAY_IDEMPOTENCY_LEASE_SECONDS: '30' };
const WORKER_READY_TIMEOUT_MS = 120_000;

async function postmasterPid(dataDir: string): Promise<number> {
  return Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

/**
 * A worker polls once its log says so; releases started before that would wait for it. The log
 * file appears only when its stream opens, so `findLog` is asked again until it names one.
 */
async function waitForWorkerStarted(findLog: () => Promise<string | undefined>): Promise<string> {
  const deadline = Date.now() + WORKER_READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const logFile = await findLog();
    const text = logFile ? await readFile(logFile, 'utf8').catch(() => '') : '';
    if (logFile && text.includes('"worker started"')) return logFile;
    await delay(250);
  }
  throw new Error(
    `the worker did not start within ${WORKER_READY_TIMEOUT_MS / 1000} s (log: ${await findLog()})`,
  );
}

async function startDevScaleStack(options: ScaleStackOptions): Promise<ScaleStack> {
  options.log('bundling the release workflows…');
  const workflowBundle = await bundleWorkflowCode({
    ...RELEASE_WORKFLOW_BUNDLE,
    logger: new DefaultLogger('WARN'),
  });
  options.log('starting PostgreSQL, the Temporal dev server, the API and a worker…');
  const stack = await startCrashStack({
    workflowBundle,
    editConfig: (configDir) => addStandInServices(configDir, options.releases, options.standInUrl),
    entries: options.install.entries,
    env: { ...PRODUCTION_TIMINGS, ...options.install.runbookEnv },
  });
  try {
    const api = await stack.startApi();
    const worker = await stack.startWorker();
    const logDir = join(stack.dir, 'logs');
    const workerLog = await waitForWorkerStarted(async () => {
      const name = (await readdir(logDir)).find((file) => file.startsWith('worker-'));
      return name && join(logDir, name);
    });
    return {
      server: 'dev',
      apiUrl: stack.apiUrl,
      token: (identity) => tokenOf(stack.tokens[identity], identity),
      databaseUrl: stack.databaseUrl,
      processes: [
        { name: 'worker', role: 'worker', pid: worker.pid },
        { name: 'API', role: 'API', pid: api.pid },
        { name: 'Temporal dev server', role: 'Temporal', pid: stack.temporal.pid as number },
        { name: 'PostgreSQL', role: 'PostgreSQL', pid: await postmasterPid(join(stack.dir, 'postgres')) },
      ],
      workerLogs: { worker: workerLog },
      logDir,
      stop: () => stack.stop(),
    };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

function tokenOf(token: string | undefined, identity: string): string {
  if (!token) throw new Error(`no token for ${identity}`);
  return token;
}

async function startClusterScaleStack(options: ScaleStackOptions): Promise<ScaleStack> {
  const dir = await mkdtemp(join(tmpdir(), 'runway-scale-cluster-'));
  const stops: (() => Promise<void>)[] = [() => rm(dir, { recursive: true, force: true })];
  const stopAll = async () => {
    for (let stop = stops.pop(); stop; stop = stops.pop()) await stop().catch(() => {});
  };
  try {
    const configDir = join(dir, 'config');
    await writeConfig(configDir, await getFreePort());
    await addStandInServices(configDir, options.releases, options.standInUrl);
    const stateDir = join(dir, 'state');
    const stack = await startClusterStack({
      stateDir,
      ports: { temporal: 0, web: 0, api: 0, postgres: 0 },
      configDir,
      distDir: options.install.distDir,
      extraEnv: options.install.runbookEnv,
      log: options.log,
    });
    stops.push(stack.stop);
    const workerLogs = Object.fromEntries(
      stack.workers.map((worker) => [worker.name, join(stateDir, 'logs', `${worker.name}.log`)]),
    );
    await Promise.all(Object.values(workerLogs).map((logFile) => waitForWorkerStarted(async () => logFile)));
    const pidOf = (pid: number | undefined, name: string) => {
      if (pid === undefined) throw new Error(`${name} has no pid`);
      return pid;
    };
    return {
      server: 'cluster',
      apiUrl: stack.apiUrl,
      token: (identity) => tokenOf(stack.tokens.get(identity), identity),
      databaseUrl: stack.databaseUrl,
      processes: [
        ...stack.workers.map((worker) => ({
          name: worker.name,
          role: 'worker' as const,
          pid: pidOf(worker.pid, worker.name),
        })),
        ...stack.apis.map((api) => ({
          name: api.name,
          role: 'API' as const,
          pid: pidOf(api.pid, api.name),
        })),
        ...stack.temporal.nodes.map((node) => ({
          name: `Temporal ${node.name}`,
          role: 'Temporal' as const,
          pid: pidOf(node.pid, node.name),
        })),
        { name: 'PostgreSQL', role: 'PostgreSQL', pid: pidOf(stack.postgresPid, 'PostgreSQL') },
      ],
      workerLogs,
      logDir: join(stateDir, 'logs'),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

export function startScaleStack(server: ScaleServer, options: ScaleStackOptions): Promise<ScaleStack> {
  return server === 'dev' ? startDevScaleStack(options) : startClusterScaleStack(options);
}
