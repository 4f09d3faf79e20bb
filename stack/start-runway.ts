// Runway's own processes in one: the release worker and the HTTP API, over a Temporal server and a
// PostgreSQL database that already run. The dev stack and the end-to-end tests both start it.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type pg from 'pg';
import type { WindowCalendar } from '../activities/calendar-activities.js';
import { alertingSettingsFrom } from '../alerts/alert-message.js';
import { CalendarNotices } from '../alerts/calendar-notices.js';
import { createApp } from '../api/create-app.js';
import { tokensFromEnvironment } from '../api/principal.js';
import { readinessCheck } from '../api/readiness.js';
import { ReleaseService } from '../api/release-service.js';
import { serveApi } from '../api/serve-api.js';
import { ReleaseCalendars } from '../calendar/release-calendars.js';
import { type ApiTlsCredentials, apiTlsCredentials } from '../config/api-tls.js';
import type { RunwayConfig } from '../config/config-schema.js';
import { type TemporalConnectionOptions, temporalConnectionOptions } from '../config/temporal-connection.js';
import { AuditLog } from '../db/audit-log.js';
import { createPool } from '../db/create-pool.js';
import type { Logger } from '../logging/logger.js';
import { type RunwayMetrics, serveRunwayMetrics } from '../metrics/runway-metrics.js';
import { checkRunbooks } from '../runbooks/load-runbook.js';
import { payloadEncryptionFromEnvironment } from '../security/data-converter.js';
import { loadDecisionKeys } from '../security/decision-signature.js';
import { createReleaseWorker, SHUTDOWN_FORCE_MS } from '../worker/create-release-worker.js';

/** How long each part of Runway may take to stop once asked (the worker: its own force time first). */
const PART_STOP_MS = 3_000;
/** Requests still running when the API stops get this long before their connections are cut. */
const API_CLOSE_GRACE_MS = 2_000;

export interface RunwayOptions {
  config: RunwayConfig;
  databaseUrl: string;
  logger: Logger;
  workingDirectory: string;
  apiPort?: number;
  runbookDir?: string;
  workflowBundle?: WorkerOptions['workflowBundle'];
  env?: NodeJS.ProcessEnv;
  /** What the worker's window steps ask; by default the configured calendar (tests declare one). */
  windowCalendar?: WindowCalendar;
}

export interface RunningRunway {
  apiUrl: string;
  /** The API's and the worker's /metrics, each on its own listener (metrics.listen). */
  metricsUrls: RunwayMetrics['urls'];
  /** Said at start when the release calendar's holiday data is about to end. */
  calendarWarning?: string;
  client: Client;
  pool: pg.Pool;
  service: ReleaseService;
  stop(): Promise<void>;
}

export async function startRunway(options: RunwayOptions): Promise<RunningRunway> {
  const { config, logger } = options;
  // Certificates first: a missing one stops the start before anything listens or connects.
  const transport: Transport = {
    temporal: temporalConnectionOptions(config.settings),
    apiTls: apiTlsCredentials(config.settings),
  };
  await checkRunbooks(config, options.runbookDir);
  const pool = createPool(options.databaseUrl, logger);
  // First: an address already taken stops the start before anything runs.
  const metrics = await serveRunwayMetrics(config.settings, { pool, logger }).catch(async (error) => {
    await pool.end();
    throw error;
  });
  try {
    return await startParts(options, transport, pool, metrics);
  } catch (error) {
    await metrics.close();
    throw error;
  }
}

/** What the processes connect and listen with, read from the certificate files at start. */
interface Transport {
  temporal: TemporalConnectionOptions;
  /** Absent: the API serves plain HTTP. */
  apiTls: ApiTlsCredentials | undefined;
}

async function startParts(
  options: RunwayOptions,
  transport: Transport,
  pool: pg.Pool,
  metrics: RunwayMetrics,
): Promise<RunningRunway> {
  const { config, logger } = options;
  const { namespace, taskQueue } = config.settings.temporal;
  const decisionKeys = loadDecisionKeys(options.env);
  const {
    codec: payloadCodec,
    dataConverter,
    workerDataConverter,
  } = payloadEncryptionFromEnvironment(options.env);
  const calendars = new ReleaseCalendars(config);
  const workerConnection = await NativeConnection.connect(transport.temporal);
  const clientConnection = await Connection.connect(transport.temporal);
  const client = new Client({ connection: clientConnection, namespace, dataConverter });

  const worker = await createReleaseWorker({
    connection: workerConnection,
    namespace,
    taskQueue,
    pool,
    logger: logger.child({ component: 'worker' }),
    workingDirectory: options.workingDirectory,
    decisionKeys,
    config,
    dataConverter: workerDataConverter,
    calendar: options.windowCalendar ?? calendars,
    // Channel URLs and SMTP credentials are the worker's secrets: its own environment's.
    alerting: alertingSettingsFrom(config, options.env ? { ...process.env, ...options.env } : process.env),
    workflowBundle: options.workflowBundle,
    metrics: metrics.worker,
  });
  const workerRun = worker.run();

  const service = new ReleaseService({
    client,
    pool,
    config,
    logger: logger.child({ component: 'api' }),
    decisionKeys,
    windowCalendar: calendars,
    runbookDir: options.runbookDir,
    metrics: metrics.api,
  });
  const calendarWarning = await calendars.dataEndWarning(new Date());
  if (calendarWarning) logger.warn(calendarWarning);
  const notices = new CalendarNotices({
    pool,
    logger: logger.child({ component: 'calendar' }),
    calendars,
    alerting: alertingSettingsFrom(config, options.env ? { ...process.env, ...options.env } : process.env),
    calendarFile: config.calendarFile,
  }).start();
  // Records left open by workflows that ended meanwhile (terminated, or while PostgreSQL was down).
  await service.reconciler
    .reconcileAll()
    .catch((error: unknown) => logger.warn({ err: String(error) }, 'start-up reconciliation failed'));
  const app = createApp({
    service,
    config,
    tokens: tokensFromEnvironment(config, options.env),
    logger: logger.child({ component: 'http' }),
    calendars,
    payloadCodec,
    audit: new AuditLog(pool),
    httpMetrics: metrics.api,
    readiness: readinessCheck({
      pool,
      connection: clientConnection,
      calendars,
      workerRunning: () => worker.getState() === 'RUNNING',
    }),
  });
  const api = await serveApi(app, options.apiPort ?? config.settings.api.port, {
    ...(transport.apiTls ? { tls: transport.apiTls } : {}),
  });
  logger.info({ apiUrl: api.url, taskQueue, metrics: metrics.urls }, 'runway started');

  return {
    apiUrl: api.url,
    metricsUrls: metrics.urls,
    ...(calendarWarning ? { calendarWarning } : {}),
    client,
    pool,
    service,
    async stop() {
      // Each part is stopped whatever the one before did: a worker that could not drain in time
      // (a workflow task that never ends) still lets the connections and the pool close.
      // Each is bounded too: the pool waits for the queries under way, which a database that does
      // not answer never ends.
      const settle = (what: string, stopping: Promise<unknown>, limitMs = PART_STOP_MS) =>
        Promise.race([
          stopping,
          new Promise((_, reject) =>
            setTimeout(() => reject(new Error(`not stopped within ${limitMs} ms`)), limitMs).unref(),
          ),
        ]).catch((error: unknown) => logger.warn({ err: String(error) }, `while stopping ${what}`));
      notices.stop();
      await settle('the API', api.close(API_CLOSE_GRACE_MS));
      // The SDK drains the worker on SIGINT/SIGTERM by itself; shut it down only if it still runs.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await settle('the worker', workerRun, SHUTDOWN_FORCE_MS + PART_STOP_MS);
      await Promise.all([
        settle('the client connection', clientConnection.close()),
        settle('the worker connection', workerConnection.close()),
        settle('the database pool', pool.end()),
        settle('the metrics listeners', metrics.close()),
      ]);
    },
  };
}
