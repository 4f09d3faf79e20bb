import http from 'node:http';
import { z } from 'zod';
import { revisionSchema } from '../edm-web/live-config.js';
import { versionSchema } from '../edm-web/version.js';
import type { ActionLog } from './action-log.js';
import type { DemoEnvironment } from './environment.js';
import type { EnvironmentConfig } from './environment-config.js';
import { readJsonBody, sendJson } from './http-server.js';
import { COLOURS, type Colour, colourSchema, DemoTargetError } from './model.js';
import type { SenderPool } from './sender-pool.js';

/** Which colour the caller saw active (null: nothing); absent means "do not check", for older callers. */
const expectActiveSchema = colourSchema.nullable().optional();
/** The same on every attempt of one driver call (release, step, action): a repeat is a no-op. */
const idempotencyKeySchema = z.string().min(1).max(300).optional();
const deployBodySchema = z.strictObject({
  version: versionSchema,
  expectActive: expectActiveSchema,
  idempotencyKey: idempotencyKeySchema,
});
const switchBodySchema = z.strictObject({
  colour: colourSchema,
  expectActive: expectActiveSchema,
  idempotencyKey: idempotencyKeySchema,
});
const updateBodySchema = z.strictObject({
  version: versionSchema,
  /** The version the caller saw on the instance; absent: checks nothing. */
  expectVersion: versionSchema.optional(),
  idempotencyKey: idempotencyKeySchema,
});
const configBodySchema = z.strictObject({
  revision: revisionSchema,
  /** The revision the caller saw in force (null: none); absent: checks nothing. */
  expectRevision: revisionSchema.nullable().optional(),
  idempotencyKey: idempotencyKeySchema,
});
const retireBodySchema = z.strictObject({
  expectActive: expectActiveSchema,
  idempotencyKey: idempotencyKeySchema,
});

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`)
    .join('; ');
}

async function readBody<T>(req: http.IncomingMessage, schema: z.ZodType<T>, whenEmpty?: unknown): Promise<T> {
  const parsed = schema.safeParse(await readJsonBody(req, whenEmpty));
  if (!parsed.success)
    throw new DemoTargetError(400, `invalid request body: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

function requireMethod(method: string, ...allowed: string[]): void {
  if (!allowed.includes(method)) {
    throw new DemoTargetError(405, `method ${method} is not allowed here; use ${allowed.join(' or ')}`);
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new DemoTargetError(400, `malformed path segment "${segment}"`);
  }
}

function findColour(name: string): Colour {
  const parsed = colourSchema.safeParse(name);
  if (!parsed.success)
    throw new DemoTargetError(404, `unknown colour "${name}"; expected ${COLOURS.join(' or ')}`);
  return parsed.data;
}

/**
 * The agent's control API. Every operation is idempotent so that a release's command
 * driver, which may retry after a timeout, can always safely repeat the last call.
 * Deploy, switch and retire take an optional `expectActive` (blue, green, or null for nothing):
 * when the active colour is not that, they answer 409 with code "target-changed" and change nothing.
 * edm-sender's instances (`/environments/{env}/instances[/{instance}]`) are listed, shown and
 * updated one by one; an update takes `expectVersion` and is refused the same way when the
 * instance runs another version.
 */
export function createControlServer(
  environments: ReadonlyMap<string, DemoEnvironment>,
  log: (line: string) => void,
  actions: ActionLog,
  senders: ReadonlyMap<string, SenderPool> = new Map(),
  configs: ReadonlyMap<string, EnvironmentConfig> = new Map(),
): http.Server {
  /** edm-web's configuration bundle in force (R-CONFIG-CHANGE), read and applied compare-and-swap. */
  async function configuration(
    req: http.IncomingMessage,
    method: string,
    environment: DemoEnvironment,
  ): Promise<unknown> {
    const config = configs.get(environment.name);
    if (config === undefined)
      throw new DemoTargetError(404, `edm-web has no configuration in ${environment.name} on this target`);
    requireMethod(method, 'GET', 'PUT');
    if (method === 'GET') return config.status();
    const { revision, expectRevision, idempotencyKey } = await readBody(req, configBodySchema);
    const call = { key: idempotencyKey ?? null, action: 'configure' as const, revision, version: null };
    return actions.run({ ...call, environment: environment.name }, () =>
      config.apply(revision, expectRevision),
    );
  }

  function findSender(environment: DemoEnvironment): SenderPool {
    const sender = senders.get(environment.name);
    if (sender === undefined)
      throw new DemoTargetError(404, `edm-sender does not run in ${environment.name} on this target`);
    return sender;
  }

  async function instances(
    req: http.IncomingMessage,
    method: string,
    environment: DemoEnvironment,
    name: string | undefined,
  ): Promise<unknown> {
    const sender = findSender(environment);
    if (name === undefined) {
      requireMethod(method, 'GET');
      return sender.status();
    }
    requireMethod(method, 'GET', 'PUT');
    if (method === 'GET') return sender.instanceStatus(name);
    const { version, expectVersion, idempotencyKey } = await readBody(req, updateBodySchema);
    const call = { key: idempotencyKey ?? null, action: 'update' as const, instance: name, version };
    return actions.run({ ...call, environment: environment.name }, () =>
      sender.update(name, version, expectVersion),
    );
  }

  function findEnvironment(name: string): DemoEnvironment {
    const environment = environments.get(name);
    if (environment === undefined) {
      const known = [...environments.keys()].join(', ');
      throw new DemoTargetError(404, `unknown environment "${name}"; this target has: ${known}`);
    }
    return environment;
  }

  async function dispatch(req: http.IncomingMessage, method: string, segments: string[]): Promise<unknown> {
    const [root, environmentName, resource, colourName, ...rest] = segments;
    if (root !== 'environments' || rest.length > 0) throw new DemoTargetError(404, 'no such resource');
    if (environmentName === undefined) {
      requireMethod(method, 'GET');
      return [...environments.values()].map((environment) => environment.status());
    }
    const environment = findEnvironment(environmentName);
    if (resource === undefined) {
      requireMethod(method, 'GET');
      return environment.status();
    }
    if (resource === 'instances') return instances(req, method, environment, colourName);
    if (resource === 'config' && colourName === undefined) return configuration(req, method, environment);
    if (resource === 'active' && colourName === undefined) {
      requireMethod(method, 'PUT');
      const { colour, expectActive, idempotencyKey } = await readBody(req, switchBodySchema);
      const call = { key: idempotencyKey ?? null, action: 'switch' as const, colour, version: null };
      return actions.run({ ...call, environment: environment.name }, () =>
        environment.switchTo(colour, expectActive),
      );
    }
    if (resource === 'colours' && colourName !== undefined) {
      const colour = findColour(colourName);
      requireMethod(method, 'PUT', 'DELETE');
      if (method === 'DELETE') {
        // The body is optional on DELETE: without one, retire checks nothing (like `edm-ctl stop`).
        const { expectActive, idempotencyKey } = await readBody(req, retireBodySchema, {});
        const call = { key: idempotencyKey ?? null, action: 'retire' as const, colour, version: null };
        return actions.run({ ...call, environment: environment.name }, () =>
          environment.retire(colour, expectActive),
        );
      }
      const { version, expectActive, idempotencyKey } = await readBody(req, deployBodySchema);
      const call = { key: idempotencyKey ?? null, action: 'deploy' as const, colour, version };
      return actions.run({ ...call, environment: environment.name }, () =>
        environment.deploy(colour, version, expectActive),
      );
    }
    throw new DemoTargetError(404, 'no such resource');
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://demo-target');
    try {
      const segments = url.pathname.split('/').filter(Boolean).map(decodeSegment);
      const body = await dispatch(req, method, segments);
      sendJson(res, 200, body);
      log(`control: ${method} ${url.pathname} -> 200`);
    } catch (error) {
      const status = error instanceof DemoTargetError ? error.status : 500;
      const details = error instanceof DemoTargetError ? error.details : {};
      const message = error instanceof Error ? error.message : String(error);
      if (!res.headersSent && !res.destroyed) sendJson(res, status, { error: message, ...details });
      log(`control: ${method} ${url.pathname} -> ${status} ${message}`);
    }
  }

  return http.createServer((req, res) => {
    void handle(req, res);
  });
}
