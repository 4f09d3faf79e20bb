// `npm run worker` (compiled: `npm run start:worker`): a release worker on its own, for deployments
// where workers scale separately from the API (docker-compose.yml). Needs a Temporal server and a
// migrated PostgreSQL.
import { NativeConnection } from '@temporalio/worker';
import { alertingSettingsFrom } from '../alerts/alert-message.js';
import { unknownRouteChannels } from '../alerts/alert-routing.js';
import { CalendarNotices } from '../alerts/calendar-notices.js';
import { ReleaseCalendars } from '../calendar/release-calendars.js';
import { loadProcessConfig } from '../config/load-process-config.js';
import { temporalConnectionOptions } from '../config/temporal-connection.js';
import { createPool } from '../db/create-pool.js';
import { createLogger } from '../logging/logger.js';
import { metricsAddressFor } from '../metrics/listen-address.js';
import { serveWorkerMetrics } from '../metrics/metrics-endpoints.js';
import { installTemporalRuntime } from '../metrics/temporal-sdk-metrics.js';
import { WorkerMetrics } from '../metrics/worker-metrics.js';
import { payloadEncryptionFromEnvironment } from '../security/data-converter.js';
import { loadDecisionKeys } from '../security/decision-signature.js';
import { createReleaseWorker } from './create-release-worker.js';
import { temporalSdkLogger } from './temporal-sdk-logger.js';
import { workerDeploymentFromEnvironment } from './worker-deployment.js';

async function main(): Promise<void> {
  const logger = createLogger('runway-worker');
  const { config, databaseUrl } = await loadProcessConfig();
  // Certificates first: a missing one stops the start before anything listens or connects.
  const temporalConnection = temporalConnectionOptions(config.settings);
  // First: an address already taken stops the start before anything runs.
  const metrics = new WorkerMetrics();
  const metricsEndpoint = await serveWorkerMetrics({
    listen: metricsAddressFor(config.settings, 'worker'),
    metrics,
    logger: logger.child({ component: 'metrics' }),
  });
  logger.info({ url: metricsEndpoint.url }, 'metrics listening');
  // The SDK's worker metrics are exported on a loopback port and appended to this worker's /metrics.
  await installTemporalRuntime({ logger: temporalSdkLogger(logger) });
  const pool = createPool(databaseUrl, logger);
  const { address, namespace, taskQueue } = config.settings.temporal;
  const connection = await NativeConnection.connect(temporalConnection);
  // A bundle made by `npm run build` (the container image makes one) saves bundling at every start.
  const bundlePath = process.env.RUNWAY_WORKFLOW_BUNDLE;
  // With a build id, releases this worker starts stay on its build to their end (worker versioning).
  const workerDeployment = workerDeploymentFromEnvironment();
  const worker = await createReleaseWorker({
    connection,
    namespace,
    taskQueue,
    pool,
    logger,
    workingDirectory: process.cwd(),
    decisionKeys: loadDecisionKeys(),
    config,
    dataConverter: payloadEncryptionFromEnvironment().workerDataConverter,
    calendar: new ReleaseCalendars(config),
    alerting: alertingSettingsFrom(config),
    workflowBundle: bundlePath ? { codePath: bundlePath } : undefined,
    metrics,
    workerDeployment,
  });
  logger.info(
    { address, tls: temporalConnection.tls !== undefined, namespace, taskQueue, bundlePath },
    'worker started',
  );
  const unrouted = unknownRouteChannels(config.settings.alerts);
  if (unrouted.length > 0)
    logger.warn({ channels: unrouted }, 'alert routes name channels that are not configured');
  const calendars = new ReleaseCalendars(config);
  const calendarWarning = await calendars.dataEndWarning(new Date());
  if (calendarWarning) logger.warn(calendarWarning);
  const notices = new CalendarNotices({
    pool,
    logger,
    calendars,
    alerting: alertingSettingsFrom(config),
    calendarFile: config.calendarFile,
  }).start();
  // Worker.run() handles SIGINT/SIGTERM itself: it drains and resolves.
  await worker.run();
  notices.stop();
  await connection.close();
  await pool.end();
  await metricsEndpoint.close();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
