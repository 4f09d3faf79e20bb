// R-AUDIT: every request under /api/v1 leaves one entry in the audit trail — allowed, refused (401,
// 403, 400, 409, 429, …) or failed (5xx) — with who, which operation, on what, the outcome and why.
// Mounted before the bearer-auth middleware so that its 401s are recorded too.
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AuditEntry, AuditLog, AuditOutcome } from '../../db/audit-log.js';
import type { Logger } from '../../logging/logger.js';
import type { AppEnv } from '../app-env.js';
import type { Principal } from '../principal.js';

export interface AuditTrailOptions {
  audit: Pick<AuditLog, 'record'>;
  logger: Logger;
  /** The configured environments: a query naming any other is not recorded as one. */
  environments: readonly string[];
}

/**
 * Stable names for the operations, as admins filter by them. A route missing here is still recorded,
 * under a name made from its path and method (see operationName).
 */
const OPERATIONS: Partial<Record<string, string>> = {
  'POST /api/v1/releases': 'releases.start',
  'GET /api/v1/releases': 'releases.list',
  'GET /api/v1/releases/:id': 'releases.get',
  'POST /api/v1/releases/:id/approvals': 'approvals.decide',
  'POST /api/v1/releases/:id/window-override': 'window-override.confirm',
  'POST /api/v1/releases/:id/rollback': 'release.rollback',
  'POST /api/v1/releases/:id/abort': 'release.abort',
  'POST /api/v1/releases/:id/decision': 'release.decision',
  'POST /api/v1/releases/:id/postmortem': 'release.postmortem',
  'GET /api/v1/calendar': 'calendar.read',
  'GET /api/v1/audit': 'audit.list',
  'GET /api/v1/services': 'services.list',
  'GET /api/v1/services/:service/environments/:environment': 'service.inspect',
  'GET /api/v1/services/:service/environments/:environment/health': 'service.health-check',
  'GET /api/v1/metrics/delivery': 'metrics.delivery',
  // Temporal Web reading (or writing) payloads: who decrypted what is part of the trail.
  'POST /codec/decode': 'codec.decode',
  'POST /codec/encode': 'codec.encode',
};

/** Operations whose validated query names the environment they concern. */
const ENVIRONMENT_ROUTES: ReadonlySet<string> = new Set(['/api/v1/calendar', '/api/v1/metrics/delivery']);

/** A request that matched no operation (an unknown path, an undeclared method). */
export const UNKNOWN_OPERATION = 'unknown-operation';

const SERVICE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function auditTrail(options: AuditTrailOptions): MiddlewareHandler<AppEnv> {
  const environments = new Set(options.environments);
  return async (c, next) => {
    await next();
    // A CORS preflight asks whether a call may be made; the call itself is recorded.
    if (isPreflight(c)) return;
    let entry: AuditEntry | undefined;
    try {
      entry = await describeRequest(c, environments);
      await options.audit.record(entry);
    } catch (error) {
      // Fail open: the operation has already happened (a release started, a decision counted), so
      // answering 500 would only invite a retry of something done, and an audit trail that cannot be
      // written would stop every release. The cost is an operation that may go unrecorded; this
      // line is what alerting watches for. Only the entry's fields are logged, never the request's
      // headers or body.
      options.logger.error(
        {
          err: error instanceof Error ? error.message : String(error),
          requestId: c.get('requestId'),
          action: entry?.action,
          status: c.res.status,
          actor: entry?.actor,
        },
        'audit entry not recorded',
      );
    }
  };
}

async function describeRequest(c: Context<AppEnv>, environments: Set<string>): Promise<AuditEntry> {
  const status = c.res.status;
  const route = operationRoute(c);
  // hono answers HEAD with the GET handler: the same operation.
  const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
  const operation = route ? operationName(method, route) : UNKNOWN_OPERATION;
  // Only what is needed is parsed: an error's code, or the id of a release just started.
  const body = status >= 400 || operation === 'releases.start' ? await responseJson(c) : undefined;
  // A dry run starts nothing, and the trail says so.
  const action = (body as { dryRun?: unknown } | undefined)?.dryRun === true ? 'releases.dry-run' : operation;
  const releaseId = (route && pathParam(route, c.req.path, 'id')) ?? createdReleaseId(action, status, body);
  const principal: Principal | undefined = c.get('principal');
  // Only where the operation takes an environment (and validated it); elsewhere the query is
  // whatever the caller wrote, and would let it choose which admins see the entry.
  // A path's own :environment and :service are validated by the route before it answers 2xx.
  const environment =
    route && ENVIRONMENT_ROUTES.has(route)
      ? c.req.query('environment')
      : route && pathParam(route, c.req.path, 'environment');
  const service = route && pathParam(route, c.req.path, 'service');
  return {
    actor: principal?.name ?? null,
    action,
    target:
      releaseId ??
      (service && SERVICE_NAME.test(service) ? service : undefined) ??
      (await requestedService(c)) ??
      c.req.path,
    environment: environment && environments.has(environment) ? environment : null,
    ...(releaseId ? { releaseId } : {}),
    outcome: outcomeOf(status),
    status,
    reason: status >= 400 ? reasonOf(status, body) : null,
    requestId: c.get('requestId') ?? null,
    details: { method: c.req.method, path: c.req.path, ...(route ? { route } : {}) },
  };
}

function outcomeOf(status: number): AuditOutcome {
  if (status >= 500) return 'failed';
  return status >= 400 ? 'refused' : 'allowed';
}

/** The operation's route pattern, e.g. /api/v1/releases/:id; middleware routes (`ALL`) are skipped. */
function operationRoute(c: Context<AppEnv>): string | undefined {
  const routes = matchedRoutes(c).filter((route) => route.method !== 'ALL');
  return routes.at(-1)?.path;
}

/** The declared name, or one made from the path (parameters left out) and the method. */
export function operationName(method: string, route: string): string {
  const declared = OPERATIONS[`${method} ${route}`];
  if (declared) return declared;
  const resource = route
    .replace(/^\/api\/v1\/?/, '')
    .split('/')
    .filter((segment) => segment && !segment.startsWith(':'));
  return [...resource, method.toLowerCase()].join('.');
}

/** The value in `path` where `route` has `:name` (route parameters may carry a `{regex}`). */
function pathParam(route: string, path: string, name: string): string | undefined {
  const index = route.split('/').findIndex((segment) => segment.replace(/\{.*\}$/, '') === `:${name}`);
  const value = index < 0 ? undefined : path.split('/')[index];
  if (!value) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The JSON the API answered (every error is JSON, see error-responses.ts), or undefined. */
async function responseJson(c: Context<AppEnv>): Promise<unknown> {
  if (!c.res.headers.get('Content-Type')?.includes('application/json')) return undefined;
  return c.res
    .clone()
    .json()
    .catch(() => undefined);
}

function createdReleaseId(action: string, status: number, body: unknown): string | undefined {
  if (action !== 'releases.start' || status >= 300) return undefined;
  const id = (body as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

/**
 * The service a request's body named, if the route read the body (hono keeps what it read as text).
 * Never read here for the first time: a refused request's body may be anything, of any size.
 */
async function requestedService(c: Context<AppEnv>): Promise<string | undefined> {
  const cached = c.req.bodyCache.text as Promise<string> | undefined;
  const text = await cached?.catch(() => undefined);
  let body: unknown;
  try {
    body = text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
  const service = (body as { service?: unknown } | null | undefined)?.service;
  return typeof service === 'string' && SERVICE_NAME.test(service) ? service : undefined;
}

function reasonOf(status: number, body: unknown): string {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (typeof error?.code !== 'string') return `HTTP ${status}`;
  return typeof error.message === 'string' ? `${error.code}: ${error.message}` : error.code;
}

function isPreflight(c: Context<AppEnv>): boolean {
  return (
    c.req.method === 'OPTIONS' &&
    c.req.path.startsWith('/codec/') &&
    c.req.header('Access-Control-Request-Method') !== undefined
  );
}
