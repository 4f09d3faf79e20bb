// The production topology on one machine, without containers: PostgreSQL, a two-node Temporal
// cluster with mutual TLS behind one address, Temporal Web (read-only), Runway's workers and API
// replicas as processes of their own running the compiled code, and the demo target they deploy.
// `npm run cluster` runs it (stack/cluster/start-cluster.ts); the cluster suite starts it too.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import pg from 'pg';
import type { RunwayConfig } from '../../config/config-schema.js';
import { loadConfig } from '../../config/load-config.js';
import { provisionApplicationRole } from '../../db/application-role.js';
import { migrateDatabase } from '../../db/migrate-database.js';
import { type DemoTarget, startDemoTarget } from '../../demo/target/demo-target.js';
import { BACKUP_KEYS_ENV } from '../../security/backup-cipher.js';
import { PAYLOAD_KEYS_ENV } from '../../security/payload-codec.js';
import { setCurrentBuild, WORKER_BUILD_ID_ENV } from '../../worker/worker-deployment.js';
import { RUNWAY_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { demoTargetLayout } from '../demo-target-layout.js';
import { provideDemoTokens } from '../demo-tokens.js';
import { startEmbeddedPostgres } from '../embedded-postgres.js';
import { getFreePort } from '../free-port.js';
import { provideServiceDatabases } from '../service-databases.js';
import { projectRoot } from '../temporal-binaries.js';
import { waitUntilAnswers } from '../wait-until-answers.js';
import { type ClusterCertificates, provideClusterCertificates } from './cluster-certificates.js';
import { connectionBudget } from './connection-budget.js';
import { launchRunwayProcess, type RunwayProcess } from './runway-processes.js';
import { provideServerBinaries } from './server-binaries.js';
import { startTcpBalancer, type TcpBalancer } from './tcp-balancer.js';
import { clusterClientTls, startTemporalCluster, type TemporalCluster } from './temporal-cluster.js';
import { startTemporalWeb, type TemporalWeb } from './temporal-web.js';

export interface ClusterPorts {
  /** The Temporal balancer (7233 would collide with `npm start`'s dev server). */
  temporal: number;
  web: number;
  /** The API balancer, the one port users and the CLI reach. */
  api: number;
  postgres: number;
}

export interface ClusterStackOptions {
  stateDir: string;
  /** 0 for any port: a free one is taken. */
  ports: ClusterPorts;
  /**
   * A PostgreSQL of your own: the URL of a role that may create databases (Temporal's two and
   * Runway's live there). Absent: an embedded PostgreSQL in the state folder.
   */
  databaseUrl?: string;
  /** Runway's configuration folder (default: the shipped config/). */
  configDir?: string;
  workers?: number;
  apiReplicas?: number;
  /** Compiled code (default dist/). */
  distDir?: string;
  /** Added to every Runway process's environment (shorter timings in tests). */
  extraEnv?: NodeJS.ProcessEnv;
  /** The workers' build id (worker versioning); made current once they poll. */
  buildId?: string;
  /** Temporal dynamic configuration added to Runway's. */
  temporalDynamicConfig?: Record<string, unknown>;
  pidsDir?: string;
  log?: (line: string) => void;
}

export interface ClusterStack {
  config: RunwayConfig;
  temporal: TemporalCluster;
  web: TemporalWeb;
  /** The API balancer's URL. */
  apiUrl: string;
  apiBalancer: TcpBalancer;
  /** Each API replica's own URL, by process name. */
  apiReplicaUrls: Record<string, string>;
  workers: RunwayProcess[];
  apis: RunwayProcess[];
  certificates: ClusterCertificates;
  tokens: Map<string, string>;
  tokensFile: string;
  /** The owner's database URL (migrations, tests' reads). */
  databaseUrl: string;
  /** The embedded PostgreSQL's postmaster; undefined with a PostgreSQL of one's own. */
  postgresPid: number | undefined;
  demo: DemoTarget;
  /** The build the workers run (worker versioning). */
  buildId: string;
  /** The environment Runway's processes get (keys, tokens, addresses). */
  runwayEnv: NodeJS.ProcessEnv;
  /** Another worker, as the running ones are started (`env` may name another build, dist folder…). */
  startWorker(name: string, env?: NodeJS.ProcessEnv, distDir?: string): RunwayProcess;
  /** Another API replica, not behind the balancer; resolves once it answers. */
  startApi(
    name: string,
    env?: NodeJS.ProcessEnv,
    distDir?: string,
  ): Promise<{ process: RunwayProcess; url: string }>;
  /** Makes a build take the releases started from now on (its workers must be polling). */
  makeCurrent(buildId: string): Promise<void>;
  stop(): Promise<void>;
}

/** Retries while the build's workers have not polled yet (the server knows the version only then). */
async function makeBuildCurrent(
  temporal: TemporalCluster,
  certificates: ClusterCertificates,
  buildId: string,
): Promise<void> {
  const connection = await Connection.connect({
    address: temporal.address,
    tls: await clusterClientTls(certificates.node, certificates.admin),
  });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await setCurrentBuild(connection, temporal.namespace, buildId);
        return;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`could not make build ${buildId} current: ${String(error)}`);
        await delay(500);
      }
    }
  } finally {
    await connection.close();
  }
}

const orFree = async (port: number) => (port === 0 ? getFreePort() : port);

/** A PostgreSQL of one's own that allows fewer connections than the cluster may open: said at start. */
async function warnOfConnectionLimit(
  url: string,
  budget: number,
  log: (line: string) => void,
): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const limit = Number((await client.query('SHOW max_connections')).rows[0].max_connections);
    if (limit < budget)
      log(
        `warning: PostgreSQL allows ${limit} connections; the cluster may open ${budget} at once (Temporal's pools, Runway's processes) — raise max_connections, or requests fail under load`,
      );
  } finally {
    await client.end();
  }
}

/** Starts everything, in order; on a failure stops what had started and throws. */
export async function startClusterStack(options: ClusterStackOptions): Promise<ClusterStack> {
  const log = options.log ?? (() => {});
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (let stop = stops.pop(); stop; stop = stops.pop()) await stop().catch(() => {});
  };
  const logDir = join(options.stateDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  try {
    const binaries = await provideServerBinaries(log);
    // Two nodes, the first with the system worker; the workers and API replicas, and a spare of each
    // (an upgrade runs another build's beside them).
    const budget = connectionBudget({
      temporalServicesPerNode: [4, 3],
      runwayProcesses: (options.workers ?? 2) + (options.apiReplicas ?? 2) + 2,
    });
    let ownerUrl: string;
    let postgresPid: number | undefined;
    if (options.databaseUrl) {
      ownerUrl = options.databaseUrl;
      log('PostgreSQL: using the one given');
      await warnOfConnectionLimit(ownerUrl, budget, log);
    } else {
      log('starting PostgreSQL…');
      const postgres = await startEmbeddedPostgres({
        dataDir: join(options.stateDir, 'postgres'),
        port: await orFree(options.ports.postgres),
        database: 'runway',
        maxConnections: budget,
        ...(options.pidsDir ? { pidFile: join(options.pidsDir, 'postgres.json') } : {}),
      });
      stops.push(postgres.stop);
      ownerUrl = postgres.connectionString;
      postgresPid = postgres.pid;
    }
    const owner = new URL(ownerUrl);
    const certificates = await provideClusterCertificates(join(options.stateDir, 'tls'));

    log('starting the Temporal cluster (two nodes)…');
    const temporal = await startTemporalCluster({
      stateDir: join(options.stateDir, 'temporal'),
      binaries,
      database: {
        host: owner.hostname,
        port: Number(owner.port),
        user: decodeURIComponent(owner.username),
        password: decodeURIComponent(owner.password),
      },
      tls: certificates.node,
      adminClient: certificates.admin,
      searchAttributes: RUNWAY_SEARCH_ATTRIBUTES,
      ...(options.temporalDynamicConfig ? { dynamicConfig: options.temporalDynamicConfig } : {}),
      port: await orFree(options.ports.temporal),
      pidsDir: options.pidsDir,
      log,
    });
    stops.push(temporal.stop);

    const config = await loadConfig(options.configDir);
    await migrateDatabase(ownerUrl);
    const appDatabaseUrl = await provisionApplicationRole(ownerUrl, randomBytes(24).toString('base64url'));
    const serviceDatabases = await provideServiceDatabases(
      ownerUrl,
      config,
      randomBytes(24).toString('base64url'),
    );
    // The demo target's instances take their database from this process's environment.
    for (const database of serviceDatabases) process.env[database.variable] ??= database.url;
    log('starting the demo target…');
    const demo = await startDemoTarget({
      ...demoTargetLayout(config, { withSender: true }),
      stateFile: join(options.stateDir, 'demo', 'state.json'),
    });
    stops.push(demo.stop);

    const apiPort = await orFree(options.ports.api);
    const webPort = await orFree(options.ports.web);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      ...(options.configDir ? { RUNWAY_CONFIG_DIR: options.configDir } : {}),
      RUNWAY_DATABASE_URL: appDatabaseUrl,
      RUNWAY_TEMPORAL_ADDRESS: temporal.address,
      RUNWAY_TEMPORAL_NAMESPACE: temporal.namespace,
      RUNWAY_TEMPORAL_TLS_CA_FILE: certificates.node.caFile,
      RUNWAY_TEMPORAL_TLS_CERT_FILE: certificates.runway.certFile,
      RUNWAY_TEMPORAL_TLS_KEY_FILE: certificates.runway.keyFile,
      RUNWAY_TEMPORAL_TLS_SERVER_NAME: certificates.node.serverName,
      RUNWAY_TEMPORAL_WEB_URL: `http://localhost:${webPort}`,
      RUNWAY_WORKFLOW_BUNDLE: join(options.distDir ?? join(projectRoot, 'dist'), 'workflow-bundle.js'),
      ...options.extraEnv,
    };
    const tokensFile = join(options.stateDir, 'tokens.env');
    const tokens = provideDemoTokens(config, tokensFile, env);
    env[BACKUP_KEYS_ENV] ??= env[PAYLOAD_KEYS_ENV];
    const workerEnv = {
      ...env,
      ...Object.fromEntries(serviceDatabases.map((database) => [database.variable, database.url])),
    };
    const launch = (
      name: string,
      role: 'worker' | 'api',
      processEnv: NodeJS.ProcessEnv,
      distDir = options.distDir,
    ) => {
      const started = launchRunwayProcess({
        name,
        role,
        env: processEnv,
        logDir,
        distDir,
        pidsDir: options.pidsDir,
      });
      stops.push(() => started.stop());
      return started;
    };
    const buildId = options.buildId ?? 'local';
    const startWorker = (name: string, extra: NodeJS.ProcessEnv = {}, distDir?: string) =>
      launch(
        name,
        'worker',
        {
          ...workerEnv,
          RUNWAY_WORKER_METRICS_LISTEN: '127.0.0.1:0',
          [WORKER_BUILD_ID_ENV]: buildId,
          // Another build's workers run that build's workflow code.
          ...(distDir ? { RUNWAY_WORKFLOW_BUNDLE: join(distDir, 'workflow-bundle.js') } : {}),
          ...extra,
        },
        distDir,
      );
    const startApi = async (name: string, extra: NodeJS.ProcessEnv = {}, distDir?: string) => {
      const port = await getFreePort();
      const processEnv = {
        ...env,
        RUNWAY_API_PORT: String(port),
        RUNWAY_API_HOST: '127.0.0.1',
        RUNWAY_API_METRICS_LISTEN: '127.0.0.1:0',
        ...extra,
      };
      const api = launch(name, 'api', processEnv, distDir);
      const url = `http://127.0.0.1:${port}`;
      await waitUntilAnswers(`${url}/readyz`, { exited: api.exited, what: `${name} (log in ${logDir})` });
      return { process: api, url };
    };
    const makeCurrent = (build: string) => makeBuildCurrent(temporal, certificates, build);

    log('starting Runway: workers and API replicas…');
    const workers = Array.from({ length: options.workers ?? 2 }, (_, index) =>
      startWorker(`worker-${index + 1}`),
    );
    const replicas = await Promise.all(
      Array.from({ length: options.apiReplicas ?? 2 }, (_, index) => startApi(`api-${index + 1}`)),
    );
    const apis = replicas.map((replica) => replica.process);
    const apiReplicaUrls = Object.fromEntries(replicas.map((replica) => [replica.process.name, replica.url]));
    await makeCurrent(buildId);
    const apiBalancer = await startTcpBalancer(
      Object.values(apiReplicaUrls).map((url) => ({ host: '127.0.0.1', port: Number(new URL(url).port) })),
      apiPort,
    );
    stops.push(apiBalancer.close);
    const apiUrl = `http://localhost:${apiPort}`;

    log('starting Temporal Web…');
    const web = await startTemporalWeb({
      uiServer: binaries.uiServer,
      stateDir: options.stateDir,
      port: webPort,
      temporalAddress: temporal.address,
      namespace: temporal.namespace,
      tls: {
        ...certificates.web,
        caFile: certificates.node.caFile,
        serverName: certificates.node.serverName,
      },
      codecEndpoint: `${apiUrl}/codec`,
      pidsDir: options.pidsDir,
    });
    stops.push(web.stop);

    return {
      config,
      temporal,
      web,
      apiUrl,
      apiBalancer,
      apiReplicaUrls,
      workers,
      apis,
      certificates,
      tokens,
      tokensFile,
      databaseUrl: ownerUrl,
      postgresPid,
      demo,
      buildId,
      runwayEnv: env,
      startWorker,
      startApi,
      makeCurrent,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
