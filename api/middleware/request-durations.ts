// Every request's duration for the API's /metrics, labelled by the route template it matched
// (/api/v1/releases/{id}), never by its raw path: ids in paths would make a series per release.
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { HttpRequestMetrics } from '../../metrics/api-metrics.js';
import type { AppEnv } from '../app-env.js';
import { openApiPath } from '../route-roles.js';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The template of the route that serves the request: the last matched handler registered for a
 * method (middleware is registered for ALL). None matched (404, 405): `unmatched`.
 */
export function routeTemplate(c: Context): string {
  const route = [...matchedRoutes(c)].reverse().find((candidate) => candidate.method !== 'ALL');
  return route ? openApiPath(route.path) : UNMATCHED_ROUTE;
}

export function requestDurations(metrics: HttpRequestMetrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const method = KNOWN_METHODS.has(c.req.method) ? c.req.method : 'OTHER';
      metrics.httpRequest(
        { method, route: routeTemplate(c), status: c.res.status },
        (performance.now() - started) / 1000,
      );
    }
  };
}
