// R-AUTH: every route declares its role, and the declaration holds. The walk reads the app's own route
// list (what is served, including routes outside /api/v1 and any added later), cross-checks it with
// the served OpenAPI document, and calls every route as nobody, as a stranger, as an identity
// without the role and as one with it.
import { readFile } from 'node:fs/promises';
import { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppEnv } from '../../api/app-env.js';
import { meetsRouteRole, requireRole } from '../../api/middleware/require-role.js';
import { principalFor } from '../../api/principal.js';
import {
  assertEveryRouteDeclaresRole,
  ROLE_EXTENSION,
  type RouteEntry,
  routeRoleMarkdown,
  routeTable,
} from '../../api/route-roles.js';
import type { RunwayConfig } from '../../config/config-schema.js';
import {
  generatePayloadKeyEntry,
  PayloadEncryptionCodec,
  parsePayloadKeys,
} from '../../security/payload-codec.js';
import { createTestApp, type ErrorJson, IDENTITY_TOKENS } from './api-test-app.js';

type App = Awaited<ReturnType<typeof createTestApp>>['app'];
type OpenApiDocument = { paths: Record<string, Record<string, Record<string, unknown>>> };

/** How the role check words its refusal. */
const ROLE_REFUSAL = /has the [a-z-]+ role in no environment/;

const TABLE_START = '<!-- route-roles:start -->';
const TABLE_END = '<!-- route-roles:end -->';

let app: App;
let config: RunwayConfig;
let table: RouteEntry[];
let document: OpenApiDocument;

beforeAll(async () => {
  // With the codec endpoint mounted, as production serves it: every route the app can serve.
  const codec = new PayloadEncryptionCodec(
    parsePayloadKeys(generatePayloadKeyEntry('route-walk'), 'test keys'),
  );
  ({ app, config } = await createTestApp({ payloadCodec: codec, codecAccess: 'token' }));
  table = routeTable(app);
  document = (await (await app.request('/openapi.json')).json()) as OpenApiDocument;
});

/** Plausible values for path parameters: a valid release id, a word otherwise. */
const concretePath = (path: string) =>
  path
    .replace(/\{id\}/g, 'edm-web-regular-1.4.2-a1b2c3')
    .replace(/\{[^}]+\}/g, 'x')
    .replace(/\*/g, 'x');

const rolesOf = (name: string) => principalFor(name, config).rolesAnywhere();
const identityWith = (route: RouteEntry, holds: boolean) =>
  Object.keys(IDENTITY_TOKENS).find(
    (name) => meetsRouteRole(rolesOf(name), route.role ?? 'public') === holds,
  );

function call(route: RouteEntry, token: string | undefined): Promise<Response> {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  const hasBody = !['GET', 'HEAD', 'DELETE'].includes(route.method);
  if (hasBody) headers['Content-Type'] = 'application/json';
  return Promise.resolve(
    app.request(concretePath(route.path), {
      method: route.method,
      headers,
      ...(hasBody ? { body: '{}' } : {}),
    }),
  );
}

describe('the route table', () => {
  it('lists every served route, each with a declared role', () => {
    expect(table.length).toBeGreaterThanOrEqual(10);
    expect(table.filter((route) => route.role === undefined)).toEqual([]);
    const find = (method: string, path: string) =>
      table.find((route) => route.method === method && route.path === path);
    expect(find('POST', '/api/v1/releases')).toMatchObject({
      role: 'deploy',
      furtherCheck: expect.stringMatching(/every environment the release deploys to/),
    });
    expect(find('POST', '/api/v1/releases/{id}/approvals')).toMatchObject({
      role: 'read',
      furtherCheck: expect.stringMatching(/judged and recorded by the workflow/),
    });
    expect(find('GET', '/healthz')).toEqual({ method: 'GET', path: '/healthz', role: 'public' });
    expect(find('GET', '/docs')).toMatchObject({ role: 'public' });
  });

  it('matches the OpenAPI document: every operation is served with the role its x-runway-role names', () => {
    const served = new Map(table.map((route) => [`${route.method} ${route.path}`, route.role]));
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations).map(([method, operation]) => ({
        key: `${method.toUpperCase()} ${path}`,
        operation,
      })),
    );
    expect(documented.length).toBeGreaterThanOrEqual(7);
    for (const { key, operation } of documented) {
      expect(served.has(key), `${key} is documented but not served`).toBe(true);
      expect(operation[ROLE_EXTENSION], key).toBe(served.get(key));
      expect(String(operation.description), key).toMatch(/Requires (no token|the `[a-z]+` role)/);
    }
    // Every route under /api/v1 is documented, so clients and the fuzzer see all of it.
    const documentedKeys = new Set(documented.map(({ key }) => key));
    for (const route of table.filter((entry) => entry.path.startsWith('/api/v1/'))) {
      expect(documentedKeys.has(`${route.method} ${route.path}`), `${route.method} ${route.path}`).toBe(true);
    }
  });

  it('refuses to build an app holding a route that declares no role, naming it', () => {
    const router = new Hono<AppEnv>();
    router.get('/declared', requireRole('read'), (c) => c.text('ok'));
    router.post('/forgotten/:id', (c) => c.text('ok'));
    router.all('/for-every-method', (c) => c.text('ok'));
    router.use('/answered-by-middleware', async (c) => c.text('ok'));
    expect(() => assertEveryRouteDeclaresRole(router)).toThrow(/POST \/forgotten\/\{id\}/);
    expect(() => assertEveryRouteDeclaresRole(router)).toThrow(/ALL \/for-every-method/);
    expect(() => assertEveryRouteDeclaresRole(router)).toThrow(/ALL \/answered-by-middleware/);
    expect(() => assertEveryRouteDeclaresRole(router)).not.toThrow(/GET \/declared/);
  });

  it('is the table docs/security.md carries between its route-roles markers', async () => {
    const page = await readFile(new URL('../../docs/security.md', import.meta.url), 'utf8');
    const start = page.indexOf(TABLE_START);
    const end = page.indexOf(TABLE_END);
    const expected = routeRoleMarkdown(app);
    expect(
      start >= 0 && end > start,
      `docs/security.md needs the route table between ${TABLE_START} and ${TABLE_END}:\n${expected}`,
    ).toBe(true);
    expect(page.slice(start + TABLE_START.length, end).trim(), `the table to paste:\n${expected}`).toBe(
      expected,
    );
  });
});

describe('walking every route', () => {
  it('answers 401 without a token and with an unknown one, 403 without the role, and lets the role through', async () => {
    const walked: string[] = [];
    for (const route of table) {
      const what = `${route.method} ${route.path} (${route.role})`;
      if (route.role === 'public') {
        const answer = await call(route, undefined);
        expect(answer.status, what).not.toBe(401);
        walked.push(what);
        continue;
      }
      expect((await call(route, undefined)).status, `${what} without a token`).toBe(401);
      expect((await call(route, 'not-a-known-token-0123456789')).status, `${what} with a bad token`).toBe(
        401,
      );
      const without = identityWith(route, false);
      const holder = identityWith(route, true);
      expect(
        without && holder,
        `${what}: the test app needs an identity with and one without the role`,
      ).toBeTruthy();
      const refused = await call(route, IDENTITY_TOKENS[without as string]);
      expect(refused.status, `${what} as ${without}`).toBe(403);
      expect(((await refused.json()) as ErrorJson).error.message, what).toMatch(ROLE_REFUSAL);
      // Past the role check, a route may still refuse for its own reasons (an environment, a mode),
      // but never as the role check does.
      const passed = await call(route, IDENTITY_TOKENS[holder as string]);
      expect(passed.status, `${what} as ${holder}`).not.toBe(401);
      if (passed.status === 403) {
        expect(((await passed.json()) as ErrorJson).error.message, `${what} as ${holder}`).not.toMatch(
          ROLE_REFUSAL,
        );
      }
      walked.push(what);
    }
    expect(walked).toHaveLength(table.length);
  });
});
