// The HTTP API (SPEC 9): cross-cutting concerns as middleware, one mounted router per resource.
// API → ReleaseService → Temporal client; nothing here talks to a workflow or the database directly.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import type { CalendarSource } from '../calendar/release-calendars.js';
import type { RunwayConfig } from '../config/config-schema.js';
import type { Logger } from '../logging/logger.js';
import { type AppEnv, createRouter } from './app-env.js';
import { errorJson, handleError, notFound } from './error-responses.js';
import { bearerAuth } from './middleware/bearer-auth.js';
import { requestLog } from './middleware/request-log.js';
import type { ReleaseService } from './release-service.js';
import { addApiDocs } from './routes/api-docs.js';
import { approvalRoutes } from './routes/approvals.js';
import { calendarRoutes } from './routes/calendar.js';
import { healthRoutes, type Readiness } from './routes/health.js';
import { releaseRoutes } from './routes/releases.js';
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
}

/** Request bodies are a few hundred bytes; anything near this is a mistake or an attack. */
const MAX_BODY_BYTES = 64 * 1024;

export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = createRouter();

  // Order matters: the request id exists before anything logs, and the log line sees the final status.
  app.use(requestId({ limitLength: 128 }));
  app.use(requestLog(deps.logger));
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
  app.route('/api/v1/releases', windowOverrideRoutes(deps.service));
  app.route('/api/v1/calendar', calendarRoutes(deps.calendars));
  addApiDocs(app, deps.config);

  app.onError(handleError(deps.logger));
  app.notFound(notFound);
  return app;
}
