// The HTTP API (SPEC 9): cross-cutting concerns as middleware, one mounted router per resource.
// API → ReleaseService → Temporal client; nothing here talks to a workflow or the database directly.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { PayloadCodec } from '@temporalio/common';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import type { CalendarSource } from '../calendar/release-calendars.js';
import type { RunwayConfig } from '../config/config-schema.js';
import type { AuditLog } from '../db/audit-log.js';
import type { Logger } from '../logging/logger.js';
import type { HttpRequestMetrics } from '../metrics/api-metrics.js';
import { type AppEnv, createRouter } from './app-env.js';
import { errorJson, handleError } from './error-responses.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { auditTrail } from './middleware/audit-trail.js';
import { bearerAuth } from './middleware/bearer-auth.js';
import { requestDurations } from './middleware/request-durations.js';
import { requestLog } from './middleware/request-log.js';
import { requireRole } from './middleware/require-role.js';
import type { ReleaseService } from './release-service.js';
import { assertEveryRouteDeclaresRole } from './route-roles.js';
import { addApiDocs, OPENAPI_PATH } from './routes/api-docs.js';
import { approvalRoutes } from './routes/approvals.js';
import { auditRoutes } from './routes/audit.js';
import { calendarRoutes } from './routes/calendar.js';
import { codecRoutes } from './routes/codec.js';
import { confirmationRoutes } from './routes/confirmations.js';
import { deliveryMetricsRoutes } from './routes/delivery-metrics.js';
import { healthRoutes, type Readiness } from './routes/health.js';
import { postmortemRoutes } from './routes/postmortem.js';
import { releaseOrderRoutes } from './routes/release-orders.js';
import { releaseRoutes } from './routes/releases.js';
import { serviceRoutes } from './routes/services.js';
import { windowOverrideRoutes } from './routes/window-override.js';

export interface AppDeps {
  service: ReleaseService;
  config: RunwayConfig;
  /** token → identity name, from tokensFromEnvironment. */
  tokens: Map<string, string>;
  logger: Logger;
  readiness?: Readiness;
  /** The release calendars, for GET /api/v1/calendar. */
  calendars: CalendarSource;
  /** Where every /api/v1 request is recorded, and GET /api/v1/audit reads (R-AUDIT). */
  audit: AuditLog;
  /** The payload codec the workers use; with it, /codec decrypts payloads for Temporal Web. */
  payloadCodec?: PayloadCodec;
  /** Where request durations go, by route template (the API's /metrics); none: not measured. */
  httpMetrics?: HttpRequestMetrics;
}

/** Request bodies are a few hundred bytes; anything near this is a mistake or an attack. */
const MAX_BODY_BYTES = 64 * 1024;

export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = createRouter();

  // Order matters: durations cover every other middleware; the request id exists before anything
  // logs, and the log line sees the final status.
  if (deps.httpMetrics) app.use(requestDurations(deps.httpMetrics));
  app.use(requestId({ limitLength: 128 }));
  app.use(requestLog(deps.logger));
  // Before authentication, so that the requests it refuses (401) are recorded too.
  const audit = auditTrail({
    audit: deps.audit,
    logger: deps.logger,
    environments: Object.keys(deps.config.environments),
  });
  app.use('/api/v1/*', audit);
  app.use('/codec/*', audit);
  app.use('/api/v1/*', bearerAuth({ tokens: deps.tokens, config: deps.config }));
  app.use(
    '/api/v1/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        errorJson(c, 413, {
          code: 'payload_too_large',
          message: `bodies are limited to ${MAX_BODY_BYTES} bytes`,
        }),
    }),
  );

  app.route('/', healthRoutes(deps.readiness, deps.logger));
  app.route('/api/v1/releases', releaseRoutes(deps.service));
  app.route('/api/v1/releases', approvalRoutes(deps.service));
  app.route('/api/v1/releases', confirmationRoutes(deps.service));
  app.route('/api/v1/releases', windowOverrideRoutes(deps.service));
  app.route('/api/v1/releases', releaseOrderRoutes(deps.service));
  app.route('/api/v1/releases', postmortemRoutes(deps.service.postmortems));
  app.route('/api/v1/services', serviceRoutes(deps.service));
  app.route('/api/v1/calendar', calendarRoutes(deps.calendars));
  app.route('/api/v1/audit', auditRoutes(deps.audit, Object.keys(deps.config.environments)));
  app.route('/api/v1/metrics', deliveryMetricsRoutes(deps.service, Object.keys(deps.config.environments)));
  // Outside /api/v1 so its bearer middleware does not apply: the codec has its own access modes.
  if (deps.payloadCodec) {
    app.route('/codec', codecRoutes({ codec: deps.payloadCodec, config: deps.config, tokens: deps.tokens }));
  }
  // The API's own description is public; these routes come from libraries, so they declare it here.
  app.use(OPENAPI_PATH, requireRole('public'));
  app.use('/docs', requireRole('public'));
  addApiDocs(app, deps.config);

  app.onError(handleError(deps.logger));
  app.notFound(methodNotAllowed(app));
  // R-AUTH: an app with a route that declares no role is never served.
  assertEveryRouteDeclaresRole(app);
  return app;
}
