// `npm start`: the whole stack on one machine with embedded defaults — the demo target, an embedded
// PostgreSQL (.runway/postgres/), a Temporal dev server with Temporal Web (persisted to
// .runway/temporal-data/), the worker and the API — then a demo release. Ctrl-C stops everything it
// started; the next start finds the releases that were in flight and they continue.
//
// A launcher that could not stop its servers (killed with SIGKILL, crashed) leaves them recorded in
// .runway/pids/; the next start stops exactly those before it starts anything (owned-processes.ts),
// and the demo target stops the instances its state file records.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/config-error.js';
import type { RunwayConfig } from '../config/config-schema.js';
import { applyEnvironmentOverrides } from '../config/environment-overrides.js';
import { loadConfig } from '../config/load-config.js';
import { MIGRATION_DATABASE_URL_ENV, provisionApplicationRole } from '../db/application-role.js';
import { migrateDatabase } from '../db/migrate-database.js';
import { killRecordedInstances, startDemoTarget } from '../demo/target/demo-target.js';
import { createLogger, type Logger, logFile } from '../logging/logger.js';
import { installTemporalRuntime } from '../metrics/temporal-sdk-metrics.js';
import { temporalSdkLogger } from '../worker/temporal-sdk-logger.js';
import { RUNWAY_SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';
import { startDemoRelease } from './demo-release.js';
import { demoTargetLayout } from './demo-target-layout.js';
import { provideDemoTokens } from './demo-tokens.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import {
  forgetProcess,
  killRecordedProcesses,
  liveRecordedProcess,
  recordProcess,
  stopRecordedProcesses,
} from './owned-processes.js';
import { provideServiceDatabases } from './service-databases.js';
import { startRunway } from './start-runway.js';
import { projectRoot } from './temporal-binaries.js';
import { startTemporalDevServer } from './temporal-dev-server.js';
import { createTerminal } from './terminal.js';

// Overridable so a second stack (the test of this launcher, say) can run beside the default one.
const STATE_DIR = process.env.RUNWAY_STATE_DIR ?? join(projectRoot, '.runway');
const EMBEDDED_POSTGRES_PORT = Number(process.env.RUNWAY_POSTGRES_PORT ?? 5433);
const PIDS_DIR = join(STATE_DIR, 'pids');
/** This launcher's own record: one stack per state folder (they would share ports and data). */
const LAUNCHER_RECORD = join(STATE_DIR, 'launcher.json');
const LOG_PATH = join(STATE_DIR, 'logs', 'runway.log');
const DEMO_STATE_FILE = join(STATE_DIR, 'demo', 'state.json');
/**
 * Ctrl-C ends everything within this, whatever the workflows do: the worker drains for its grace
 * time and gives up at its force time (worker/create-release-worker.ts), the servers stop in order;
 * whatever is still running at the deadline is killed.
 */
const STOP_DEADLINE_MS = 40_000;
/** PostgreSQL's fast shutdown of a leftover cluster checkpoints first. */
const LEFTOVER_STOP_GRACE_MS = 30_000;
const EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

const terminal = createTerminal();
const say = terminal.say;

type Stop = () => Promise<void>;

/** Thrown between start-up steps once a stop was asked for, so start-up ends where it is. */
class StopRequested extends Error {}

let logger: Logger | undefined;
const stops: Stop[] = [];
let stopRequested = false;
let startUp: Promise<void> = Promise.resolve();
let shuttingDown: Promise<never> | undefined;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

function continueStarting(): void {
  if (stopRequested) throw new StopRequested();
}

/**
 * Lets the start-up step under way finish, stops everything started so far (last first) and exits.
 * Runs once; if it is stuck, or a second Ctrl-C arrives, forceExit ends it.
 */
function shutDown(code: number, quietly = false): Promise<never> {
  stopRequested = true;
  shuttingDown ??= (async () => {
    setTimeout(() => forceExit(code), STOP_DEADLINE_MS);
    if (!quietly) say('stopping…');
    await startUp.catch(() => {});
    for (let stop = stops.pop(); stop; stop = stops.pop()) {
      await stop().catch((error: unknown) => {
        logger?.error({ err: error }, 'while stopping');
        say(`while stopping: ${firstLine(describe(error))}`);
      });
    }
    if (!quietly) say('stopped');
    process.exit(code);
  })();
  return shuttingDown;
}

/** The servers recorded in the pid folder and the demo's instances are killed outright. */
function forceExit(code: number): never {
  say('not stopped in time: killing the servers');
  killRecordedProcesses(PIDS_DIR);
  killRecordedInstances(DEMO_STATE_FILE);
  process.exit(code);
}

function onSignal(signal: NodeJS.Signals): void {
  if (shuttingDown) {
    forceExit(EXIT_CODES[signal] ?? 1);
  } else {
    void shutDown(EXIT_CODES[signal] ?? 1);
  }
}

function onUnexpectedError(error: unknown): void {
  logger?.error({ err: error }, 'unexpected error');
  if (shuttingDown) return; // already on the way out; do not start a second round
  terminal.complain(
    `unexpected error: ${firstLine(describe(error))} (details in ${relative(process.cwd(), LOG_PATH)})`,
  );
  void shutDown(1);
}

/**
 * A launcher still running with this state folder (one whose npm was killed, say) owns the servers
 * recorded there: they are its, not leftovers, so this start leaves them and says so.
 */
function claimStateFolder(): void {
  const running = liveRecordedProcess(LAUNCHER_RECORD);
  if (running && running.pid !== process.pid) {
    throw new Error(
      `Runway already runs with the state in ${relative(process.cwd(), STATE_DIR) || '.'} (launcher pid ` +
        `${running.pid}); stop it (Ctrl-C where it runs, or kill ${running.pid}) and start again`,
    );
  }
  recordProcess(LAUNCHER_RECORD, process, 'Runway launcher', 'SIGTERM');
  process.on('exit', () => forgetProcess(LAUNCHER_RECORD, process.pid));
}

async function start(flags: { noDemoRelease: boolean }): Promise<void> {
  mkdirSync(STATE_DIR, { recursive: true });
  logger = createLogger('runway', { destination: logFile(LOG_PATH) });
  claimStateFolder();
  const log = logger;
  const config = applyEnvironmentOverrides(await loadConfig(process.env.RUNWAY_CONFIG_DIR));
  // The SDK logs through its runtime, once per process: into the log file, not the terminal. Its
  // own signal handling is off: shutDown stops the API before the worker, then the servers. Its
  // worker metrics reach the worker's /metrics.
  await installTemporalRuntime({ logger: temporalSdkLogger(log), shutdownSignals: [] });
  const tokensFile = join(STATE_DIR, 'demo.env');
  const tokens = provideDemoTokens(config, tokensFile);
  // Temporal Web here is bound to localhost and has no login, so it cannot pass a token: the codec
  // endpoint admits it by its origin instead (see api/routes/codec.ts).
  config.settings.codec.access = 'local-open';
  // The Temporal dev server this starts speaks plain gRPC: a cluster's certificates do not apply to it.
  if (config.settings.temporal.tls) {
    say('temporal.tls is not used here: the Temporal dev server this starts has no TLS');
    delete config.settings.temporal.tls;
  }

  await stopRecordedProcesses(PIDS_DIR, LEFTOVER_STOP_GRACE_MS, say);
  continueStarting();

  // First, because it also stops the instances a launcher that died left running.
  say('starting the demo target (edm-web, edm-sender)…');
  const layout = demoTargetLayout(config, { withSender: true });
  const demo = await startDemoTarget({
    ...layout,
    stateFile: DEMO_STATE_FILE,
    log: (line) => log.info({ component: 'demo-target' }, line),
  });
  stops.push(demo.stop);
  continueStarting();

  // The owner migrates (RUNWAY_MIGRATION_DATABASE_URL, else the one URL given, else the embedded
  // superuser); Runway connects as runway_app (R-AUDIT), with a fresh password at every start
  // unless its URL was given.
  const givenAppUrl = process.env[config.settings.database.urlEnv];
  const ownerEnv = process.env[MIGRATION_DATABASE_URL_ENV]
    ? MIGRATION_DATABASE_URL_ENV
    : config.settings.database.urlEnv;
  let ownerUrl = process.env[ownerEnv];
  if (ownerUrl) {
    say(`PostgreSQL: using ${ownerEnv}`);
  } else {
    say('starting embedded PostgreSQL…');
    const postgres = await startEmbeddedPostgres({
      dataDir: join(STATE_DIR, 'postgres'),
      port: EMBEDDED_POSTGRES_PORT,
      database: 'runway',
      log: (line) => log.debug({ component: 'postgres' }, line),
      pidFile: join(PIDS_DIR, 'postgres.json'),
    });
    stops.push(postgres.stop);
    ownerUrl = postgres.connectionString;
    continueStarting();
  }
  const applied = await migrateDatabase(ownerUrl, (line) => log.info({ component: 'migrate' }, line));
  say(`database schema up to date${applied.length ? ` (applied ${applied.join(', ')})` : ''}`);
  const databaseUrl =
    givenAppUrl ?? (await provisionApplicationRole(ownerUrl, randomBytes(24).toString('base64url')));
  await provideDemoServiceDatabases(ownerUrl, config);
  continueStarting();

  say('starting the Temporal dev server…');
  // api.tls (or RUNWAY_API_TLS_*) makes the API HTTPS here too; its certificate must name localhost.
  const apiOrigin = `${config.settings.api.tls ? 'https' : 'http'}://localhost:${config.settings.api.port}`;
  const temporalAddress = new URL(`http://${config.settings.temporal.address}`);
  const temporal = await startTemporalDevServer({
    port: Number(temporalAddress.port),
    uiPort: Number(new URL(config.settings.temporal.webUrl).port),
    dbFile: join(STATE_DIR, 'temporal-data', 'dev-server.db'),
    namespace: config.settings.temporal.namespace,
    searchAttributes: RUNWAY_SEARCH_ATTRIBUTES,
    logFile: join(STATE_DIR, 'logs', 'temporal.log'),
    pidFile: join(PIDS_DIR, 'temporal.json'),
    // Payloads are encrypted; Temporal Web shows them in clear through the API's codec endpoint.
    uiCodecEndpoint: `${apiOrigin}/codec`,
  });
  stops.push(temporal.stop);
  continueStarting();

  const runway = await startRunway({ config, databaseUrl, logger: log, workingDirectory: projectRoot });
  stops.push(runway.stop);
  if (runway.calendarWarning) say(`warning: ${runway.calendarWarning}`);
  continueStarting();

  printWelcome({
    apiUrl: apiOrigin,
    temporalWeb: config.settings.temporal.webUrl,
    demo: layout.environments.flatMap((environment) => [
      { name: `edm-web ${environment.name}`, url: `http://127.0.0.1:${environment.proxyPort}` },
      ...(environment.sender
        ? [
            {
              name: `edm-sender ${environment.name}`,
              url: `http://127.0.0.1:${environment.sender.proxyPort}`,
            },
          ]
        : []),
    ]),
    tokens,
    tokensFile: relative(process.cwd(), tokensFile),
    logPath: relative(process.cwd(), LOG_PATH),
  });

  if (!flags.noDemoRelease) {
    const started = await startDemoRelease(
      runway.service,
      config,
      demo.controlUrl,
      relative(process.cwd(), tokensFile),
    );
    continueStarting();
    say(started);
  }
  say('running — press Ctrl-C to stop everything');
}

/**
 * edm-web's own database per environment (R-RB-DB), in the same PostgreSQL, reached by the worker
 * through EDM_WEB_{ENVIRONMENT}_DATABASE_URL; a variable already set (a database of your own) wins.
 */
async function provideDemoServiceDatabases(ownerUrl: string, config: RunwayConfig): Promise<void> {
  try {
    const databases = await provideServiceDatabases(ownerUrl, config, randomBytes(24).toString('base64url'));
    for (const database of databases) process.env[database.variable] ??= database.url;
    say(
      `service databases ready (${databases.map((database) => new URL(database.url).pathname.slice(1)).join(', ')})`,
    );
  } catch (error) {
    logger?.warn({ err: error }, 'could not create the service databases');
    say(
      `warning: could not create the service databases (${firstLine(describe(error))}): releases fail at their migrate steps until the EDM_WEB_<ENVIRONMENT>_DATABASE_URL variables are set`,
    );
  }
}

function printWelcome(info: {
  apiUrl: string;
  temporalWeb: string;
  demo: { name: string; url: string }[];
  tokens: Map<string, string>;
  tokensFile: string;
  logPath: string;
}): void {
  const lines = [
    '',
    `  API            ${info.apiUrl}/api/v1`,
    `  API docs       ${info.apiUrl}/docs   (OpenAPI: ${info.apiUrl}/openapi.json)`,
    `  Temporal Web   ${info.temporalWeb}   (payloads decrypted by ${info.apiUrl}/codec)`,
    ...info.demo.map((environment) => `  ${environment.name.padEnd(23)} ${environment.url}/version`),
    '',
    `  Demo tokens (also in ${info.tokensFile} — \`source ${info.tokensFile}\`):`,
    ...[...info.tokens].map(([name, token]) => `    ${name.padEnd(10)} ${token}`),
    '',
    `  CLI            source ${info.tokensFile} && export RUNWAY_URL=${info.apiUrl} RUNWAY_TOKEN=$RUNWAY_TOKEN_OPS_WANG`,
    '                 npx runway status   (every command: docs/cli.md)',
    '',
    `  Logs           ${info.logPath}`,
    '',
  ];
  terminal.print(lines.join('\n'));
}

function main(): void {
  const { values } = parseArgs({ options: { 'no-demo-release': { type: 'boolean', default: false } } });
  for (const signal of Object.keys(EXIT_CODES) as NodeJS.Signals[]) process.on(signal, onSignal);
  process.on('uncaughtException', onUnexpectedError);
  startUp = start({ noDemoRelease: values['no-demo-release'] });
  startUp.catch((error: unknown) => {
    if (error instanceof StopRequested || shuttingDown) return;
    // One line that says what went wrong; the details (server output, stack) are in the log file.
    // A configuration error is all details: the file, and each path in it with what was expected.
    logger?.error({ err: error }, 'failed to start');
    const details = logger ? ` (details in ${relative(process.cwd(), LOG_PATH)})` : '';
    const what = error instanceof ConfigError ? error.message : `${firstLine(describe(error))}${details}`;
    terminal.complain(`failed to start: ${what}`);
    void shutDown(1, true);
  });
}

main();
