// R-AUTH: the role check each route declares (see route-roles.ts). A first, coarse check: where the
// answer depends on the environments a release touches, the service checks again, precisely, once
// it knows them, and at a gate the workflow judges the seat against the roster frozen at start
// (and records the refusals it judges, which is why gates need no more than `read` here).
import type { MiddlewareHandler } from 'hono';
import { ACCESS_ROLES, type Role } from '../../workflows/release-model.js';
import type { AppEnv } from '../app-env.js';
import { errorJson } from '../error-responses.js';
import { ForbiddenError } from '../service-errors.js';

/**
 * What a route may require: an access role held in at least one environment, or nothing (`public`:
 * probes and the API's own description).
 */
export const ROUTE_ROLES = [...ACCESS_ROLES, 'public'] as const;
export type RouteRole = (typeof ROUTE_ROLES)[number];

export interface RouteRequirement {
  role: RouteRole;
  /** What is checked after the role, where the answer depends on the request, for people to read. */
  furtherCheck?: string;
}

/** True when roles held (in some environment) meet what a route requires. */
export function meetsRouteRole(held: readonly Role[], required: RouteRole): boolean {
  return required === 'public' || held.includes(required);
}

/** Every role check made here, and what it enforces: the route table is read from these. */
const roleChecks = new WeakMap<object, RouteRequirement>();

/** What a handler enforces, when it is a role check made by requireRole. */
export function requirementOf(handler: unknown): RouteRequirement | undefined {
  return typeof handler === 'function' ? roleChecks.get(handler) : undefined;
}

/**
 * Runs after bearer authentication (mounted on /api/v1/*). On a route outside that prefix that
 * requires a role no identity is known, and the answer is 401, never a pass.
 */
export function requireRole(role: RouteRole, furtherCheck?: string): MiddlewareHandler<AppEnv> {
  const check: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (role === 'public') return next();
    const principal = c.get('principal');
    if (!principal) {
      c.header('WWW-Authenticate', 'Bearer realm="runway"');
      return errorJson(c, 401, {
        code: 'unauthorized',
        message: 'a bearer token is required (Authorization: Bearer <token>)',
      });
    }
    if (!meetsRouteRole(principal.rolesAnywhere(), role)) {
      throw new ForbiddenError(`${principal.name} has the ${role} role in no environment`);
    }
    await next();
  };
  roleChecks.set(check, furtherCheck === undefined ? { role } : { role, furtherCheck });
  return check;
}
