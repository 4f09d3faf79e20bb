// The whole stack for end-to-end tests, on free ports so it never collides with a running
// `npm start`: embedded PostgreSQL, a Temporal dev server, the demo target, the worker and the API.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { WindowCalendar } from '../../activities/calendar-activities.js';
import type { RunwayConfig } from '../../config/config-schema.js';
import { loadConfig } from '../../config/load-config.js';
import { provisionApplicationRole } from '../../db/application-role.js';
import { migrateDatabase } from '../../db/migrate-database.js';
import { actionLogFileFor, type DemoTarget, startDemoTarget } from '../../demo/target/demo-target.js';
import { createLogger } from '../../logging/logger.js';
import { BACKUP_KEYS_ENV } from '../../security/backup-cipher.js';
import { DECISION_KEYS_ENV } from '../../security/decision-signature.js';
import {
  DEFAULT_SENDER_INSTANCES,
  DEMO_ROLLING_SERVICE,
  DEMO_SERVICE,
  demoTargetLayout,
} from '../../stack/demo-target-layout.js';
import { startEmbeddedPostgres } from '../../stack/embedded-postgres.js';
import { getFreePort, isPortFree } from '../../stack/free-port.js';
import { provideServiceDatabases } from '../../stack/service-databases.js';
import { type RunningRunway, startRunway } from '../../stack/start-runway.js';
import { projectRoot } from '../../stack/temporal-binaries.js';
import { type DevServer, startTemporalDevServer } from '../../stack/temporal-dev-server.js';
import { RUNWAY_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { ALWAYS_OPEN_CALENDAR } from './always-open-calendar.js';
import { testPayloadKeyEnv } from './payload-keys.js';
import { TEST_DECISION_KEY_ENTRY } from './signed-decisions.js';

/** The official 2026 schedule (CN), the default windows, and one freeze: 1 December 2026, local. */
const TEST_CALENDAR = `country: CN
freezes:
  - { start: "2026-12-01T00:00", end: "2026-12-02T00:00", reason: "annual audit" }
`;

export interface TestStack {
  config: RunwayConfig;
  runway: RunningRunway;
  demo: DemoTarget;
  /** The demo target's action log: every deploy, switch, retire and instance update, timed (JSON lines). */
  demoActionLogFile: string;
  temporal: DevServer;
  /** The owner's (it migrated): for tests that inspect or change rows, or the schema. */
  databaseUrl: string;
  /** runway_app's, as Runway connects (R-AUDIT: it cannot change the audit trail). */
  appDatabaseUrl: string;
  /** Identity name → bearer token. */
  tokens: Record<string, string>;
  /** Environment name → the demo service's URL there. */
  serviceUrls: Record<string, string>;
  /** Environment name → the demo service's own database (R-RB-DB), as its migration tool reaches it. */
  serviceDatabaseUrls: Record<string, string>;
  /** Stops the worker, the API and the Temporal server, then starts them again on the same ports and data. */
  restartRunwayAndTemporal(): Promise<void>;
  stop(): Promise<void>;
}

/** The shipped configuration, moved onto free ports. */
async function configOnFreePorts(temporal: DevServer, agentPort: number): Promise<RunwayConfig> {
  const config = await loadConfig();
  config.settings.temporal = {
    ...config.settings.temporal,
    address: temporal.address,
    taskQueue: `runway-e2e-${randomBytes(3).toString('hex')}`,
  };
  config.settings.api.port = await getFreePort();
  // Port 0: each /metrics takes a free port, which runway.metricsUrls then names.
  config.settings.metrics.listen = { api: '127.0.0.1:0', worker: '127.0.0.1:0' };
  for (const environment of Object.values(config.environments)) {
    const target = environment.services[DEMO_SERVICE];
    if (!target) continue;
    // Three consecutive ports: the proxy, then blue and green.
    target.url = `http://127.0.0.1:${await freePortRun(3)}`;
    target.vars.agent = `http://127.0.0.1:${agentPort}`;
    const sender = environment.services[DEMO_ROLLING_SERVICE];
    if (!sender) continue;
    // The sender's proxy, then one port per instance.
    const instances = Number(sender.vars.instances ?? DEFAULT_SENDER_INSTANCES);
    sender.url = `http://127.0.0.1:${await freePortRun(1 + instances)}`;
    sender.vars.agent = `http://127.0.0.1:${agentPort}`;
  }
  return config;
}

/** Bakes of seconds, not minutes: suites that judge a bake set their own durations. */
export function shortenAnalysis(analysis: RunwayConfig['services'][string]['analysis']): void {
  analysis.bakeSeconds = 2;
  analysis.baselineSeconds = 1;
  analysis.recoverySeconds = 1;
  // Latency is judged only past a second, as in the crash suite: a p95 of a second's worth of
  // samples on a busy test machine swings past twice the 50 ms floor and would roll healthy
  // releases back. Suites that judge latency set their own floor.
  analysis.thresholds.baselineFloorMs = 1_000;
}

/**
 * Runs stay below Linux's ephemeral range (32768 and up), where getFreePort's ports and every
 * outgoing connection's local port come from: a colour or an instance binds its port only when a
 * deploy starts it, long after the run was chosen, and a connection could hold it by then.
 */
const PORT_RUNS = { first: 20_000, end: 32_768 };
/** Runs handed out by this process: nothing listens on them yet, so a bind test cannot see them. */
const reservedPorts = new Set<number>();

/** A run of consecutive free ports: the demo target puts the colours right after the proxy. */
export async function freePortRun(length: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const start = PORT_RUNS.first + Math.floor(Math.random() * (PORT_RUNS.end - PORT_RUNS.first - length));
    const ports = Array.from({ length }, (_, index) => start + index);
    if (ports.some((port) => reservedPorts.has(port))) continue;
    if ((await Promise.all(ports.map((port) => isPortFree(port)))).every(Boolean)) {
      for (const port of ports) reservedPorts.add(port);
      return start;
    }
  }
  throw new Error(`found no ${length} consecutive free ports`);
}

/** The test stacks' release backup key (RUNWAY_BACKUP_KEYS), for a test that restores a backup. */
export const TEST_BACKUP_KEY_ENTRY = `test-b1:${Buffer.alloc(32, 9).toString('base64url')}`;

export interface TestStackOptions {
  /** Changes the configuration before anything starts (the fuzz run raises the start rate limit). */
  configure?: (config: RunwayConfig) => void;
  /** What the worker's window steps ask; always open by default. */
  windowCalendar?: WindowCalendar;
  /** Temporal Web on, wired to the API's codec endpoint in local-open mode, as `npm start` has it. */
  temporalWeb?: boolean;
  /** Runbooks other than the shipped ones (e.g. with guided steps). */
  runbookDir?: string;
  /** Run edm-sender's instances too (four more processes per environment), for suites that release it. */
  withSender?: boolean;
}

/** Ports fixed before the server starts: its Temporal Web is told the codec endpoint's URL. */
async function temporalWebPorts() {
  const apiPort = await getFreePort();
  return { uiPort: await getFreePort(), apiPort, codecEndpoint: `http://localhost:${apiPort}/codec` };
}

export async function startTestStack(
  workflowBundle: WorkflowBundleWithSourceMap,
  options: TestStackOptions = {},
): Promise<TestStack> {
  const dir = await mkdtemp(join(tmpdir(), 'runway-e2e-'));
  const stops: (() => Promise<void>)[] = [async () => rm(dir, { recursive: true, force: true })];
  const stopAll = async () => {
    for (const step of stops.reverse()) await step().catch(() => {});
  };
  try {
    const postgres = await startEmbeddedPostgres({
      dataDir: join(dir, 'postgres'),
      port: await getFreePort(),
      database: 'runway',
    });
    stops.push(postgres.stop);
    // The data may live elsewhere than asked when the postgres user cannot reach the temp folder.
    if (postgres.dataDir !== join(dir, 'postgres')) {
      stops.push(() => rm(postgres.dataDir, { recursive: true, force: true }));
    }
    await migrateDatabase(postgres.connectionString);
    const appDatabaseUrl = await provisionApplicationRole(
      postgres.connectionString,
      randomBytes(18).toString('base64url'),
    );
    // Persisted like the dev stack's, so a restart of the server finds its workflows again.
    const web = options.temporalWeb ? await temporalWebPorts() : undefined;
    const temporalOptions = {
      port: await getFreePort(),
      headless: !web,
      ...(web ? { uiPort: web.uiPort, uiCodecEndpoint: web.codecEndpoint } : {}),
      dbFile: join(dir, 'temporal.db'),
      searchAttributes: RUNWAY_SEARCH_ATTRIBUTES,
    };
    let temporal = await startTemporalDevServer(temporalOptions);
    stops.push(() => temporal.stop());
    const config = await configOnFreePorts(temporal, await getFreePort());
    if (web) {
      config.settings.api.port = web.apiPort;
      config.settings.temporal.webUrl = `http://localhost:${web.uiPort}`;
      config.settings.codec.access = 'local-open';
    }
    // Succeeded releases end at once unless a suite wants a rollback window after success.
    config.settings.rollback.afterSuccessMinutes = 0;
    for (const service of Object.values(config.services)) shortenAnalysis(service.analysis);
    options.configure?.(config);
    // A calendar the suites declare (the shipped one may change); the worker's window steps get an
    // always-open one, the calendar endpoint this.
    config.calendarFile = join(dir, 'calendar.yml');
    await writeFile(config.calendarFile, TEST_CALENDAR);
    const demo = await startDemoTarget({
      ...demoTargetLayout(config, { withSender: options.withSender }),
      stateFile: join(dir, 'demo-state.json'),
    });
    stops.push(demo.stop);
    // The worker runs in this process: the service databases' URLs and the backup key reach its
    // commands and activities through this process's environment, as a worker's secrets would.
    const serviceDatabases = await provideServiceDatabases(
      postgres.connectionString,
      config,
      randomBytes(18).toString('base64url'),
    );
    const workerEnv = {
      [BACKUP_KEYS_ENV]: TEST_BACKUP_KEY_ENTRY,
      ...Object.fromEntries(serviceDatabases.map((database) => [database.variable, database.url])),
    };
    const previousEnv = Object.fromEntries(Object.keys(workerEnv).map((name) => [name, process.env[name]]));
    Object.assign(process.env, workerEnv);
    stops.push(async () => {
      for (const [name, value] of Object.entries(previousEnv)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });

    const tokens: Record<string, string> = {};
    const env: NodeJS.ProcessEnv = { [DECISION_KEYS_ENV]: TEST_DECISION_KEY_ENTRY, ...testPayloadKeyEnv };
    for (const identity of config.settings.identities) {
      if (identity.tokenEnv === undefined) continue;
      tokens[identity.name] = `rw_test_${randomBytes(12).toString('hex')}`;
      env[identity.tokenEnv] = tokens[identity.name];
    }
    const startOurs = () =>
      startRunway({
        config,
        databaseUrl: appDatabaseUrl,
        logger: createLogger('runway-e2e', { level: process.env.RUNWAY_LOG_LEVEL ?? 'warn' }),
        workingDirectory: projectRoot,
        apiPort: config.settings.api.port,
        workflowBundle,
        env,
        windowCalendar: options.windowCalendar ?? ALWAYS_OPEN_CALENDAR,
        ...(options.runbookDir ? { runbookDir: options.runbookDir } : {}),
      });
    let runway = await startOurs();
    stops.push(() => runway.stop());
    const serviceUrls = Object.fromEntries(
      Object.values(config.environments).flatMap((environment) => {
        const target = environment.services[DEMO_SERVICE];
        return target ? [[environment.name, target.url]] : [];
      }),
    );
    const stack: TestStack = {
      config,
      runway,
      demo,
      demoActionLogFile: actionLogFileFor(join(dir, 'demo-state.json')),
      temporal,
      databaseUrl: postgres.connectionString,
      appDatabaseUrl,
      tokens,
      serviceUrls,
      serviceDatabaseUrls: Object.fromEntries(
        serviceDatabases
          .filter((database) => database.service === DEMO_SERVICE)
          .map((database) => [database.environment, database.url]),
      ),
      async restartRunwayAndTemporal() {
        await runway.stop();
        await temporal.stop();
        temporal = await startTemporalDevServer(temporalOptions);
        runway = await startOurs();
        Object.assign(stack, { runway, temporal });
      },
      stop: stopAll,
    };
    return stack;
  } catch (error) {
    await stopAll();
    throw error;
  }
}
