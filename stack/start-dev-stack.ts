// `npm start`: the whole stack on one machine with embedded defaults — a Temporal dev server with
// Temporal Web (persisted to .runway/temporal-data/), an embedded PostgreSQL (.runway/postgres/), the demo
// target, the worker and the API — then a demo release. Ctrl-C stops everything it started; the next
// start finds the releases that were in flight and they continue.
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { Runtime } from '@temporalio/worker';
import exitHook from 'async-exit-hook';
import { applyEnvironmentOverrides } from '../config/environment-overrides.js';
import { loadConfig } from '../config/load-config.js';
import { migrateDatabase } from '../db/migrate-database.js';
import { startDemoTarget } from '../demo/target/demo-target.js';
import { createLogger, logFile } from '../logging/logger.js';
import { temporalSdkLogger } from '../worker/temporal-sdk-logger.js';
import { RUNWAY_SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';
import { startDemoRelease } from './demo-release.js';
import { demoTargetLayout } from './demo-target-layout.js';
import { provideDemoTokens } from './demo-tokens.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { startRunway } from './start-runway.js';
import { projectRoot } from './temporal-binaries.js';
import { startTemporalDevServer } from './temporal-dev-server.js';

// Overridable so a second stack (the test of this launcher, say) can run beside the default one.
const STATE_DIR = process.env.RUNWAY_STATE_DIR ?? join(projectRoot, '.runway');
const EMBEDDED_POSTGRES_PORT = Number(process.env.RUNWAY_POSTGRES_PORT ?? 5433);

const say = (line: string) => console.log(`[runway] ${line}`);

type Stop = () => Promise<void>;

async function main(): Promise<void> {
  const { values: flags } = parseArgs({
    options: { 'no-demo-release': { type: 'boolean', default: false } },
  });
  mkdirSync(STATE_DIR, { recursive: true });
  const stops: Stop[] = [];
  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    for (const stop of stops.reverse()) {
      await stop().catch((error: unknown) => say(`while stopping: ${String(error)}`));
    }
    say('stopped');
  };
  // embedded-postgres already exits the process on SIGINT/SIGTERM through async-exit-hook once its
  // own servers are down; hooking in there too lets every stop above finish before that exit.
  exitHook.forceExitTimeout(60_000); // longer than the worker's 30 s grace for running deploys
  exitHook((done) => void stopAll().finally(done));
  process.on('uncaughtException', (error) => {
    console.error(`[runway] unexpected error: ${error.stack ?? error.message}`);
    void stopAll().finally(() => process.exit(1));
  });

  try {
    const config = applyEnvironmentOverrides(await loadConfig(process.env.RUNWAY_CONFIG_DIR));
    const logPath = join(STATE_DIR, 'logs', 'runway.log');
    const logger = createLogger('runway', { destination: logFile(logPath) });
    // The SDK logs through its runtime, once per process: into the log file, not the terminal. Its
    // own signal handling is off: stopAll stops the API before the worker, then the servers.
    Runtime.install({ logger: temporalSdkLogger(logger), shutdownSignals: [] });
    const tokensFile = join(STATE_DIR, 'demo.env');
    const tokens = provideDemoTokens(config, tokensFile);

    let databaseUrl = process.env[config.settings.database.urlEnv];
    if (databaseUrl) {
      say(`PostgreSQL: using ${config.settings.database.urlEnv}`);
    } else {
      say('starting embedded PostgreSQL…');
      const postgres = await startEmbeddedPostgres({
        dataDir: join(STATE_DIR, 'postgres'),
        port: EMBEDDED_POSTGRES_PORT,
        database: 'runway',
        log: (line) => logger.debug({ component: 'postgres' }, line),
      });
      stops.push(postgres.stop);
      databaseUrl = postgres.connectionString;
    }
    const applied = await migrateDatabase(databaseUrl, (line) => logger.info({ component: 'migrate' }, line));
    say(`database schema up to date${applied.length ? ` (applied ${applied.join(', ')})` : ''}`);

    say('starting the Temporal dev server…');
    const temporalAddress = new URL(`http://${config.settings.temporal.address}`);
    const temporal = await startTemporalDevServer({
      port: Number(temporalAddress.port),
      uiPort: Number(new URL(config.settings.temporal.webUrl).port),
      dbFile: join(STATE_DIR, 'temporal-data', 'dev-server.db'),
      namespace: config.settings.temporal.namespace,
      searchAttributes: RUNWAY_SEARCH_ATTRIBUTES,
      logFile: join(STATE_DIR, 'logs', 'temporal.log'),
    });
    stops.push(temporal.stop);

    say('starting the demo target (edm-web)…');
    const layout = demoTargetLayout(config);
    const demo = await startDemoTarget({
      ...layout,
      stateFile: join(STATE_DIR, 'demo', 'state.json'),
      log: (line) => logger.info({ component: 'demo-target' }, line),
    });
    stops.push(demo.stop);

    const runway = await startRunway({ config, databaseUrl, logger, workingDirectory: projectRoot });
    stops.push(runway.stop);

    printWelcome({
      apiUrl: `http://localhost:${config.settings.api.port}`,
      temporalWeb: config.settings.temporal.webUrl,
      demo: layout.environments.map((environment) => ({
        name: environment.name,
        url: `http://127.0.0.1:${environment.proxyPort}`,
      })),
      tokens,
      tokensFile: relative(process.cwd(), tokensFile),
      logPath,
    });

    if (!flags['no-demo-release']) {
      const started = await startDemoRelease(
        runway.service,
        config,
        demo.controlUrl,
        relative(process.cwd(), tokensFile),
      );
      say(started);
    }
    say('running — press Ctrl-C to stop everything');
  } catch (error) {
    console.error(`[runway] failed to start: ${error instanceof Error ? error.message : String(error)}`);
    await stopAll();
    process.exit(1);
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
    `  Temporal Web   ${info.temporalWeb}`,
    ...info.demo.map((environment) => `  edm-web ${environment.name.padEnd(12)} ${environment.url}/version`),
    '',
    `  Demo tokens (also in ${info.tokensFile} — \`source ${info.tokensFile}\`):`,
    ...[...info.tokens].map(([name, token]) => `    ${name.padEnd(10)} ${token}`),
    '',
    `  Logs           ${info.logPath}`,
    '',
  ];
  console.log(lines.join('\n'));
}

void main();
