// R-AUTH: every route declares the role it needs, as a property of the route itself. The declaration
// becomes the route's first middleware (the check), an `x-runway-role` extension on its OpenAPI
// operation and a row of the route table; createApp refuses to build an app holding a route that
// declares none, so a route added later cannot forget it.
import { createRoute, type RouteConfig, z } from '@hono/zod-openapi';
import type { Hono } from 'hono';
import type { AppEnv } from './app-env.js';
import {
  type RouteRequirement,
  type RouteRole,
  requirementOf,
  requireRole,
} from './middleware/require-role.js';

/** The OpenAPI extension naming an operation's role. */
export const ROLE_EXTENSION = 'x-runway-role';

/**
 * createRoute with the role it requires, and optionally what is checked after it (for the
 * description and the route table): the only way Runway defines a route.
 */
const NO_QUERY = z.strictObject({});

export function defineRoute<const R extends RouteConfig & RouteRequirement>(config: R) {
  const { role, furtherCheck, middleware, description, ...route } = config;
  const extra = middleware === undefined ? [] : Array.isArray(middleware) ? middleware : [middleware];
  const requirement =
    role === 'public'
      ? 'Requires no token.'
      : `Requires the \`${role}\` role in at least one environment${furtherCheck ? `; then ${furtherCheck}` : ''}.`;
  return createRoute({
    ...route,
    // A route that takes no query still validates it: an unknown parameter is refused (R-INPUT),
    // not silently carried into logs or the audit trail. Public routes (health probes) take no
    // input at all and answer whatever a load balancer appends.
    ...(role === 'public' ? {} : { request: { ...route.request, query: route.request?.query ?? NO_QUERY } }),
    description: description ? `${description}\n\n${requirement}` : requirement,
    ...(role === 'public' ? {} : { security: [{ bearer: [] }] }),
    [ROLE_EXTENSION]: role,
    // The role check comes before validation: a caller without the role learns nothing about
    // what a valid request would look like.
    middleware: [requireRole(role, furtherCheck), ...extra],
  }) as unknown as Omit<R, 'role' | 'furtherCheck'>;
}

export interface RouteEntry {
  /** Upper case, as HTTP spells it. */
  method: string;
  /** In OpenAPI's spelling: /api/v1/releases/{id}. */
  path: string;
  /** Undefined: the route declares no role, and must not be served. */
  role: RouteRole | undefined;
  furtherCheck?: string;
}

/** hono's /releases/:id (optionally :id{regex}) in OpenAPI's spelling, /releases/{id}. */
export const openApiPath = (honoPath: string): string =>
  honoPath.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}');

/**
 * Every route the app serves with the role it declares, read from the app's own route list (what
 * is served, not what is documented). A role check registered with app.use on the route's exact
 * path counts too: that is how routes made by other libraries (the Swagger UI) declare theirs.
 */
export function routeTable(app: Hono<AppEnv>): RouteEntry[] {
  const routes = new Map<string, RouteEntry>();
  const exactPathChecks = new Map<string, RouteRequirement>();
  // Handlers on one exact path for every method: middleware, or a route made with .all() or a
  // use() that answers. Unless a role check stands among them or a declared route owns the path,
  // they are served undeclared.
  const exactPathHandlers = new Set<string>();
  for (const route of app.routes) {
    const requirement = requirementOf(route.handler);
    if (route.method === 'ALL') {
      if (route.path.includes('*')) continue;
      exactPathHandlers.add(route.path);
      if (requirement) exactPathChecks.set(route.path, requirement);
      continue;
    }
    const key = `${route.method} ${route.path}`;
    const entry = routes.get(key) ?? { method: route.method, path: openApiPath(route.path), role: undefined };
    if (requirement && entry.role === undefined) Object.assign(entry, requirement);
    routes.set(key, entry);
  }
  const methodRoutePaths = new Set<string>();
  for (const [key, entry] of routes) {
    const path = key.slice(key.indexOf(' ') + 1);
    methodRoutePaths.add(path);
    const requirement = exactPathChecks.get(path);
    if (requirement && entry.role === undefined) Object.assign(entry, requirement);
  }
  for (const path of exactPathHandlers) {
    if (methodRoutePaths.has(path) || exactPathChecks.has(path)) continue;
    routes.set(`ALL ${path}`, { method: 'ALL', path: openApiPath(path), role: undefined });
  }
  return [...routes.values()].sort(
    (a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method),
  );
}

/** Fails loudly, naming each one, when a served route declares no role. */
export function assertEveryRouteDeclaresRole(app: Hono<AppEnv>): void {
  const undeclared = routeTable(app).filter((route) => route.role === undefined);
  if (undeclared.length > 0) {
    throw new Error(
      `routes without a declared role (define them with defineRoute, or put requireRole on their exact path): ${undeclared.map((route) => `${route.method} ${route.path}`).join(', ')}`,
    );
  }
}

/** The route table as docs/security.md carries it, between its route-roles markers. */
export function routeRoleMarkdown(app: Hono<AppEnv>): string {
  const rows = routeTable(app).map((route) => {
    const role = route.role === 'public' ? 'none' : `\`${route.role}\``;
    return `| \`${route.method}\` | \`${route.path}\` | ${role} | ${route.furtherCheck ?? ''} |`;
  });
  return [
    '| Method | Path | Role (in at least one environment) | Then |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
