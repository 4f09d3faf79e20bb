// The whole stack as separate processes, the way production runs it, so tests can kill -9 any of
// them: embedded PostgreSQL, a persisted Temporal dev server, the demo target, the API and workers
// (each `node --import tsx …/main.ts`: test/support/runway-process.ts), and edm-web's own database
// per environment beside Runway's.
// Timings are short (heartbeat timeout, idempotency lease, bakes) so a crash is noticed in seconds.
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { parse, stringify } from 'yaml';
import type { RunwayConfig } from '../../config/config-schema.js';
import { DEFAULT_CONFIG_DIR, loadConfig } from '../../config/load-config.js';
import { provisionApplicationRole } from '../../db/application-role.js';
import { migrateDatabase } from '../../db/migrate-database.js';
import { actionLogFileFor, type DemoTarget, startDemoTarget } from '../../demo/target/demo-target.js';
import { BACKUP_KEYS_ENV } from '../../security/backup-cipher.js';
import { DECISION_KEYS_ENV } from '../../security/decision-signature.js';
import {
  DEFAULT_SENDER_INSTANCES,
  DEMO_ROLLING_SERVICE,
  DEMO_SERVICE,
  demoTargetLayout,
} from '../../stack/demo-target-layout.js';
import { type RunningPostgres, startEmbeddedPostgres } from '../../stack/embedded-postgres.js';
import { getFreePort } from '../../stack/free-port.js';
import { provideServiceDatabases } from '../../stack/service-databases.js';
import { type DevServer, startTemporalDevServer } from '../../stack/temporal-dev-server.js';
import { waitUntilAnswers } from '../../stack/wait-until-answers.js';
import { RUNWAY_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { testPayloadKeyEnv } from '../support/payload-keys.js';
import { releaseWorkflowBundle } from '../support/release-workflow-bundle.js';
import { type RunwayProcess, spawnRunway } from '../support/runway-process.js';
import { freePortRun, TEST_BACKUP_KEY_ENTRY } from '../support/runway-stack.js';
import { TEST_DECISION_KEY_ENTRY } from '../support/signed-decisions.js';

export type { RunwayProcess };

export interface CrashStack {
  dir: string;
  config: RunwayConfig;
  apiUrl: string;
  tokens: Record<string, string>;
  serviceUrls: Record<string, string>;
  agentUrl: string;
  actionLogFile: string;
  databaseUrl: string;
  /** Environment name → edm-web's own database there (R-RB-DB), as its migration tool reaches it. */
  serviceDatabaseUrls: Record<string, string>;
  temporal: DevServer;
  startApi(): Promise<RunwayProcess>;
  startWorker(): Promise<RunwayProcess>;
  killTemporal9(): Promise<void>;
  restartTemporal(): Promise<void>;
  /** SIGSTOP / SIGCONT the Temporal server: calls to it hang until it continues. */
  pauseTemporal(): void;
  resumeTemporal(): void;
  stopPostgres(): Promise<void>;
  killPostgres9(): Promise<void>;
  startPostgres(): Promise<void>;
  stop(): Promise<void>;
}

const HEARTBEAT_TIMEOUT_SECONDS = '3';
const IDEMPOTENCY_LEASE_SECONDS = '3';
/**
 * The demo's late-fault builds (`+errors`) go bad a second after they take traffic, then fail half
 * of the service's requests: later than the checks of TEST and STAGING, which finish well within
 * that second, and early in a production bake.
 */
const DEMO_FAULTS = { EDM_FAULT_AFTER_MS: '1000', EDM_ERROR_SHARE: '0.5' };

/** The shipped configuration, written to `dir` with the demo service moved onto free ports. */
export async function writeConfig(dir: string, agentPort: number): Promise<void> {
  await cp(DEFAULT_CONFIG_DIR, dir, { recursive: true, filter: (source) => !source.endsWith('.ts') });
  for (const name of ['development', 'test', 'staging', 'production']) {
    const file = join(dir, 'environments', `${name}.yml`);
    const environment = parse(await readFile(file, 'utf8'));
    environment.services[DEMO_SERVICE].url = `http://127.0.0.1:${await freePortRun(3)}`;
    environment.services[DEMO_SERVICE].vars.agent = `http://127.0.0.1:${agentPort}`;
    // The rolling service too, for stacks that run it (the cluster's): its proxy, then its instances.
    const sender = environment.services[DEMO_ROLLING_SERVICE];
    if (sender) {
      sender.url = `http://127.0.0.1:${await freePortRun(1 + Number(sender.vars.instances ?? DEFAULT_SENDER_INSTANCES))}`;
      sender.vars.agent = `http://127.0.0.1:${agentPort}`;
    }
    await writeFile(file, stringify(environment));
  }
  await writeFile(join(dir, 'calendar.yml'), stringify(alwaysOpenCalendar()));
  await shortenBakes(dir);
}

/** Short bakes, and no rollback window after success: the crash cases end as soon as they can. */
async function shortenBakes(dir: string): Promise<void> {
  const settingsFile = join(dir, 'runway.yml');
  const settings = parse(await readFile(settingsFile, 'utf8'));
  settings.rollback = { ...settings.rollback, afterSuccessMinutes: 0 };
  await writeFile(settingsFile, stringify(settings));
  for (const name of await readdir(join(dir, 'services'))) {
    const file = join(dir, 'services', name);
    const service = parse(await readFile(file, 'utf8'));
    // Probing every 100 ms, a 2 s bake sees enough requests to judge a build that goes bad in it.
    // Latency is judged only past the probe's timeout: on a busy test machine a p95 of a second's
    // worth of samples swings past twice a 50 ms floor and would roll healthy releases back.
    service.analysis = {
      ...service.analysis,
      bakeSeconds: 2,
      baselineSeconds: 1,
      recoverySeconds: 1,
      probeSettings: { ...service.analysis?.probeSettings, intervalMs: 100 },
      thresholds: { ...service.analysis?.thresholds, baselineFloorMs: 1000 },
    };
    await writeFile(file, stringify(service));
  }
}

/**
 * A calendar open around the clock for the next weeks, weekends included (each one declared a
 * working day), so the crash cases never wait for a release window.
 */
function alwaysOpenCalendar() {
  const allDay = [{ start: '00:00', end: '24:00' }];
  const weekends = Array.from({ length: 60 }, (_, day) => new Date(Date.now() + (day - 1) * 86_400_000))
    .filter((date) => date.getUTCDay() === 0 || date.getUTCDay() === 6)
    .map((date) => ({ date: date.toISOString().slice(0, 10) }));
  return {
    country: 'none',
    windows: { default: allDay, saturday: allDay, sunday: allDay },
    avoid: { fridayAfternoon: false, lastWorkingDayBeforeHoliday: false },
    majorHolidays: { names: [], daysBefore: 0 },
    holidays: { workdays: weekends },
  };
}

export interface CrashStackOptions {
  /** The release workflows to run; by default the bundle the test run's global set-up made. */
  workflowBundle?: WorkflowBundleWithSourceMap;
  /** Changes the written configuration folder before anything reads it (the benchmarks' services). */
  editConfig?: (configDir: string) => Promise<void>;
  /** The processes' entry points: the TypeScript sources by default, or a compiled build's. */
  entries?: { api: string; worker: string };
  /** Extra environment for the API and the workers. */
  env?: NodeJS.ProcessEnv;
}

export async function startCrashStack(options: CrashStackOptions = {}): Promise<CrashStack> {
  const dir = await mkdtemp(join(tmpdir(), 'runway-crash-'));
  await mkdir(join(dir, 'logs'));
  const cleanups: (() => Promise<void>)[] = [() => rm(dir, { recursive: true, force: true })];
  const processes = new Set<RunwayProcess>();
  const stopAll = async () => {
    for (const process of processes) await process.stop().catch(() => {});
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  };
  try {
    const postgresOptions = { dataDir: join(dir, 'postgres'), port: await getFreePort(), database: 'runway' };
    let postgres: RunningPostgres | undefined = await startEmbeddedPostgres(postgresOptions);
    cleanups.push(async () => postgres?.stop());
    // The owner's URL, for the tests' own reads; the processes connect as the application's role.
    const databaseUrl = postgres.connectionString;
    await migrateDatabase(databaseUrl);
    const appDatabaseUrl = await provisionApplicationRole(databaseUrl, randomBytes(18).toString('base64url'));

    const temporalOptions = {
      port: await getFreePort(),
      headless: true,
      dbFile: join(dir, 'temporal.db'),
      searchAttributes: RUNWAY_SEARCH_ATTRIBUTES,
      logFile: join(dir, 'logs', 'temporal.log'),
    };
    let temporal = await startTemporalDevServer(temporalOptions);
    cleanups.push(() => temporal.stop());

    const agentPort = await getFreePort();
    await writeConfig(join(dir, 'config'), agentPort);
    await options.editConfig?.(join(dir, 'config'));
    const config = await loadConfig(join(dir, 'config'));
    const stateFile = join(dir, 'demo', 'state.json');
    // The demo target runs in this process: its instances take their fault settings from here.
    const savedFaults = Object.fromEntries(Object.keys(DEMO_FAULTS).map((name) => [name, process.env[name]]));
    Object.assign(process.env, DEMO_FAULTS);
    cleanups.push(async () => {
      for (const [name, value] of Object.entries(savedFaults)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });
    const demo: DemoTarget = await startDemoTarget({ ...demoTargetLayout(config), stateFile });
    cleanups.push(() => demo.stop());

    const serviceDatabases = await provideServiceDatabases(
      databaseUrl,
      config,
      randomBytes(18).toString('base64url'),
    );
    // The demo target runs in this process: its edm-web instances take their database from here when
    // they start, as a platform hands a service its secret (the checklist's database checks use it).
    const databaseVariables = Object.fromEntries(
      serviceDatabases.map((database) => [database.variable, database.url]),
    );
    const savedDatabases = Object.fromEntries(
      Object.keys(databaseVariables).map((name) => [name, process.env[name]]),
    );
    Object.assign(process.env, databaseVariables);
    cleanups.push(async () => {
      for (const [name, value] of Object.entries(savedDatabases)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });

    const bundle = options.workflowBundle ?? (await releaseWorkflowBundle());
    await writeFile(join(dir, 'workflow-bundle.js'), bundle.code);

    const apiPort = await getFreePort();
    const tokens: Record<string, string> = {};
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      RUNWAY_CONFIG_DIR: join(dir, 'config'),
      RUNWAY_DATABASE_URL: appDatabaseUrl,
      RUNWAY_TEMPORAL_ADDRESS: temporal.address,
      RUNWAY_API_PORT: String(apiPort),
      RUNWAY_API_HOST: '127.0.0.1',
      // Several workers run at once: each /metrics on a free port of its own.
      RUNWAY_API_METRICS_LISTEN: '127.0.0.1:0',
      RUNWAY_WORKER_METRICS_LISTEN: '127.0.0.1:0',
      RUNWAY_WORKFLOW_BUNDLE: join(dir, 'workflow-bundle.js'),
      RUNWAY_HEARTBEAT_TIMEOUT_SECONDS: HEARTBEAT_TIMEOUT_SECONDS,
      RUNWAY_IDEMPOTENCY_LEASE_SECONDS: IDEMPOTENCY_LEASE_SECONDS,
      [DECISION_KEYS_ENV]: TEST_DECISION_KEY_ENTRY,
      ...testPayloadKeyEnv,
      ...options.env,
    };
    for (const identity of config.settings.identities) {
      if (identity.tokenEnv === undefined) continue;
      tokens[identity.name] = `rw_crash_${randomBytes(12).toString('hex')}`;
      env[identity.tokenEnv] = tokens[identity.name];
    }
    // Only workers run migrations and take backups: only they get the service databases and the backup key.
    const workerEnv: NodeJS.ProcessEnv = {
      ...env,
      [BACKUP_KEYS_ENV]: TEST_BACKUP_KEY_ENTRY,
      ...Object.fromEntries(serviceDatabases.map((database) => [database.variable, database.url])),
    };
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    let sequence = 0;
    const launch = (entry: string, name: string, processEnv: NodeJS.ProcessEnv) => {
      const started = spawnRunway(entry, processEnv, join(dir, 'logs', `${name}-${++sequence}.log`));
      processes.add(started);
      return started;
    };

    const stack: CrashStack = {
      dir,
      config,
      apiUrl,
      tokens,
      serviceUrls: Object.fromEntries(
        Object.values(config.environments).flatMap((environment) => {
          const target = environment.services[DEMO_SERVICE];
          return target ? [[environment.name, target.url]] : [];
        }),
      ),
      agentUrl: demo.controlUrl,
      actionLogFile: actionLogFileFor(stateFile),
      databaseUrl,
      serviceDatabaseUrls: Object.fromEntries(
        serviceDatabases
          .filter((database) => database.service === DEMO_SERVICE)
          .map((database) => [database.environment, database.url]),
      ),
      temporal,
      async startApi() {
        const api = launch(options.entries?.api ?? 'api/main.ts', 'api', env);
        await waitUntilAnswers(`${apiUrl}/healthz`);
        return api;
      },
      async startWorker() {
        return launch(options.entries?.worker ?? 'worker/main.ts', 'worker', workerEnv);
      },
      async killTemporal9() {
        process.kill(temporal.pid as number, 'SIGKILL');
        await temporal.stop();
      },
      async restartTemporal() {
        temporal = await startTemporalDevServer(temporalOptions);
        stack.temporal = temporal;
      },
      pauseTemporal: () => process.kill(temporal.pid as number, 'SIGSTOP'),
      resumeTemporal: () => process.kill(temporal.pid as number, 'SIGCONT'),
      async stopPostgres() {
        await postgres?.stop();
        postgres = undefined;
      },
      async killPostgres9() {
        const pidFile = await readFile(
          join(postgres?.dataDir ?? postgresOptions.dataDir, 'postmaster.pid'),
          'utf8',
        );
        process.kill(Number(pidFile.split('\n')[0]), 'SIGKILL');
        // The backends notice their postmaster died and exit; give them a moment.
        await delay(1_000);
        postgres = undefined;
      },
      async startPostgres() {
        postgres = await startEmbeddedPostgres(postgresOptions);
      },
      stop: stopAll,
    };
    return stack;
  } catch (error) {
    await stopAll();
    throw error;
  }
}
