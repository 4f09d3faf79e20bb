// `npm run cluster`: the production topology on this machine (stack/cluster/cluster-stack.ts),
// from the compiled code in dist/. State (PostgreSQL's data, the CA, logs) lives in
// .runway/cluster, or RUNWAY_CLUSTER_STATE_DIR. Ctrl-C stops everything; after a kill -9 of this
// launcher its children die with it (Linux), and the next start stops whatever a crash left.
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { killRecordedInstances } from '../../demo/target/demo-target.js';
import { killRecordedProcesses, stopRecordedProcesses } from '../owned-processes.js';
import { projectRoot } from '../temporal-binaries.js';
import { createTerminal } from '../terminal.js';
import { type ClusterStack, startClusterStack } from './cluster-stack.js';

const STATE_DIR = process.env.RUNWAY_CLUSTER_STATE_DIR ?? join(projectRoot, '.runway', 'cluster');
const PIDS_DIR = join(STATE_DIR, 'pids');
/** Fixed ports beside `npm start`'s (7233, 8233, 3001, 5433), so both can run at once. */
const PORTS = {
  temporal: Number(process.env.RUNWAY_CLUSTER_TEMPORAL_PORT ?? 7300),
  web: Number(process.env.RUNWAY_CLUSTER_WEB_PORT ?? 8300),
  api: Number(process.env.RUNWAY_CLUSTER_API_PORT ?? 3300),
  postgres: Number(process.env.RUNWAY_CLUSTER_POSTGRES_PORT ?? 5440),
};
const STOP_DEADLINE_MS = 60_000;
const EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

const terminal = createTerminal('[cluster]');
let stack: ClusterStack | undefined;
let stopping = false;

function forceExit(code: number): never {
  terminal.say('not stopped in time: killing what is left');
  killRecordedProcesses(PIDS_DIR);
  killRecordedInstances(join(STATE_DIR, 'demo', 'state.json'));
  process.exit(code);
}

async function shutDown(code: number): Promise<never> {
  if (stopping) forceExit(code);
  stopping = true;
  setTimeout(() => forceExit(code), STOP_DEADLINE_MS).unref();
  terminal.say('stopping…');
  await stack?.stop();
  terminal.say('stopped');
  process.exit(code);
}

function welcome(started: ClusterStack): string {
  const tokens = relative(process.cwd(), started.tokensFile);
  return [
    '',
    `  API (2 replicas)      ${started.apiUrl}/api/v1   (each replica: ${Object.values(started.apiReplicaUrls).join(', ')})`,
    `  Temporal (2 nodes)    ${started.temporal.address}   (mTLS: certificates in ${relative(process.cwd(), join(STATE_DIR, 'tls'))})`,
    `  Temporal Web          ${started.web.url}   (read-only)`,
    `  Workers               ${started.workers.length}, logs in ${relative(process.cwd(), join(STATE_DIR, 'logs'))}`,
    '',
    `  CLI    source ${tokens} && export RUNWAY_URL=${started.apiUrl} RUNWAY_TOKEN=$RUNWAY_TOKEN_OPS_WANG`,
    '         npx runway deploy --service edm-web --env test --version 1.1.0 --yes',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  for (const signal of Object.keys(EXIT_CODES) as NodeJS.Signals[]) {
    process.on(signal, () => void shutDown(EXIT_CODES[signal] ?? 1));
  }
  mkdirSync(PIDS_DIR, { recursive: true });
  await stopRecordedProcesses(PIDS_DIR, 30_000, terminal.say);
  const started = Date.now();
  stack = await startClusterStack({
    stateDir: STATE_DIR,
    ports: PORTS,
    pidsDir: PIDS_DIR,
    ...(process.env.RUNWAY_CONFIG_DIR ? { configDir: process.env.RUNWAY_CONFIG_DIR } : {}),
    ...(process.env.RUNWAY_CLUSTER_DATABASE_URL
      ? { databaseUrl: process.env.RUNWAY_CLUSTER_DATABASE_URL }
      : {}),
    log: terminal.say,
  });
  terminal.print(welcome(stack));
  terminal.say(
    `running (started in ${((Date.now() - started) / 1000).toFixed(1)} s) — press Ctrl-C to stop everything`,
  );
}

main().catch((error: unknown) => {
  terminal.complain(`[cluster] failed to start: ${error instanceof Error ? error.message : String(error)}`);
  void shutDown(1);
});
