// One structured log line per request. The identity is logged by name; the token never is (R-SECRETS).
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../logging/logger.js';
import type { AppEnv } from '../app-env.js';
import type { Principal } from '../principal.js';

export function requestLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    // Unset on routes outside /api/v1 and on requests the auth middleware refused.
    const principal: Principal | undefined = c.get('principal');
    const status = c.res.status;
    const line = {
      method: c.req.method,
      path: c.req.path,
      status,
      ms: Math.round(performance.now() - started),
      requestId: c.get('requestId'),
      identity: principal?.name,
    };
    if (status >= 500) logger.error(line, 'request');
    else logger.info(line, 'request');
  };
}
