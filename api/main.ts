// `npm run api` (compiled: `npm run start:api`): the HTTP API on its own, for deployments where it
// runs apart from the workers (docker-compose.yml). Needs a Temporal server and a migrated PostgreSQL.
import { Client, Connection } from '@temporalio/client';
import { ReleaseCalendars } from '../calendar/release-calendars.js';
import { apiTlsCredentials } from '../config/api-tls.js';
import { loadProcessConfig } from '../config/load-process-config.js';
import { temporalConnectionOptions } from '../config/temporal-connection.js';
import { AuditLog } from '../db/audit-log.js';
import { createPool } from '../db/create-pool.js';
import { createLogger } from '../logging/logger.js';
import { ApiMetrics } from '../metrics/api-metrics.js';
import { metricsAddressFor } from '../metrics/listen-address.js';
import { serveApiMetrics } from '../metrics/metrics-endpoints.js';
import { checkRunbooks } from '../runbooks/load-runbook.js';
import { payloadEncryptionFromEnvironment } from '../security/data-converter.js';
import { loadDecisionKeys } from '../security/decision-signature.js';
import { createApp } from './create-app.js';
import { tokensFromEnvironment } from './principal.js';
import { readinessCheck } from './readiness.js';
import { ReleaseService } from './release-service.js';
import { assertCodecAccessSafe } from './routes/codec.js';
import { serveApi } from './serve-api.js';

async function main(): Promise<void> {
  const logger = createLogger('runway-api');
  const { config, databaseUrl } = await loadProcessConfig();
  // Certificates first: a missing one stops the start before anything listens or connects.
  const temporalConnection = temporalConnectionOptions(config.settings);
  const tls = apiTlsCredentials(config.settings);
  // Runbooks of one's own, kept apart from the project (the benchmarks' 50-step one).
  const runbookDir = process.env.RUNWAY_RUNBOOK_DIR || undefined;
  await checkRunbooks(config, runbookDir);
  const pool = createPool(databaseUrl, logger);
  // First: an address already taken stops the start before anything runs.
  const metrics = new ApiMetrics({ pool, logger: logger.child({ component: 'metrics' }) });
  const metricsEndpoint = await serveApiMetrics({
    listen: metricsAddressFor(config.settings, 'api'),
    metrics,
    logger,
  });
  logger.info({ url: metricsEndpoint.url }, 'metrics listening');
  const encryption = payloadEncryptionFromEnvironment();
  const connection = await Connection.connect(temporalConnection);
  const client = new Client({
    connection,
    namespace: config.settings.temporal.namespace,
    dataConverter: encryption.dataConverter,
  });
  const calendars = new ReleaseCalendars(config);
  const service = new ReleaseService({
    ...(runbookDir ? { runbookDir } : {}),
    client,
    pool,
    config,
    logger,
    decisionKeys: loadDecisionKeys(),
    windowCalendar: calendars,
    metrics,
  });
  // Records left open by workflows that ended meanwhile (terminated, or while PostgreSQL was down).
  void service.reconciler
    .reconcileAll()
    .then((closed) => logger.info({ closed }, 'start-up reconciliation done'))
    .catch((error: unknown) => logger.warn({ err: String(error) }, 'start-up reconciliation failed'));
  const app = createApp({
    service,
    config,
    tokens: tokensFromEnvironment(config),
    logger,
    readiness: readinessCheck({ pool, connection, calendars }),
    calendars,
    payloadCodec: encryption.codec,
    audit: new AuditLog(pool),
    httpMetrics: metrics,
  });
  const hostname = process.env.RUNWAY_API_HOST ?? '0.0.0.0';
  assertCodecAccessSafe(config, hostname);
  const server = await serveApi(app, config.settings.api.port, { hostname, ...(tls ? { tls } : {}) });
  logger.info({ url: server.url }, 'api listening');
  const stop = async () => {
    await server.close();
    await metricsEndpoint.close();
    await connection.close();
    await pool.end();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
