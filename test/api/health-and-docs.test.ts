// The public routes: probes, the OpenAPI document, Swagger UI, and 404s for everything else.
import { beforeAll, describe, expect, it } from 'vitest';
import { RELEASE_STATUSES } from '../../workflows/release-model.js';
import { createTestApp, type ErrorJson } from './api-test-app.js';

describe('probes', () => {
  it('answers /healthz without a token', async () => {
    const { app } = await createTestApp();
    const response = await app.request('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it('answers /readyz with the checks when they pass', async () => {
    const { app } = await createTestApp({
      readiness: async () => ({ ok: true, checks: { temporal: true, database: true } }),
    });
    const response = await app.request('/readyz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, checks: { temporal: true, database: true } });
  });

  it('answers /readyz with 503 when a check fails', async () => {
    const { app } = await createTestApp({
      readiness: async () => ({ ok: false, checks: { temporal: true, database: false } }),
    });
    const response = await app.request('/readyz');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ ok: false, checks: { temporal: true, database: false } });
  });

  it('answers /readyz with 503 when the check itself throws', async () => {
    const { app, logLines } = await createTestApp({
      readiness: async () => {
        throw new Error('connection refused');
      },
    });
    const response = await app.request('/readyz');
    expect(response.status).toBe(503);
    expect(((await response.json()) as { ok: boolean }).ok).toBe(false);
    expect(logLines.some((line) => line.msg === 'readiness check failed')).toBe(true);
  });
});

describe('GET /openapi.json', () => {
  let document: {
    openapi: string;
    info: { title: string };
    paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
    components: {
      securitySchemes: Record<string, unknown>;
      schemas: Record<string, { enum?: string[]; description?: string }>;
    };
  };

  beforeAll(async () => {
    const { app } = await createTestApp();
    const response = await app.request('/openapi.json');
    expect(response.status).toBe(200);
    document = (await response.json()) as typeof document;
  });

  it('is an OpenAPI 3.1 document titled Runway API', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.title).toBe('Runway API');
  });

  it('holds every route with its methods', () => {
    expect(Object.keys(document.paths).sort()).toEqual([
      '/api/v1/audit',
      '/api/v1/calendar',
      '/api/v1/metrics/delivery',
      '/api/v1/releases',
      '/api/v1/releases/{id}',
      '/api/v1/releases/{id}/abort',
      '/api/v1/releases/{id}/approvals',
      '/api/v1/releases/{id}/confirmations',
      '/api/v1/releases/{id}/decision',
      '/api/v1/releases/{id}/postmortem',
      '/api/v1/releases/{id}/rollback',
      '/api/v1/releases/{id}/window-override',
      '/api/v1/services',
      '/api/v1/services/{service}/environments/{environment}',
      '/api/v1/services/{service}/environments/{environment}/health',
      '/healthz',
      '/readyz',
    ]);
    expect(Object.keys(document.paths['/api/v1/releases'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(document.paths['/api/v1/releases/{id}/approvals'] ?? {})).toEqual(['post']);
    for (const order of ['rollback', 'abort', 'decision']) {
      const operation = document.paths[`/api/v1/releases/{id}/${order}`]?.post;
      expect(Object.keys(operation?.responses ?? {}).sort(), order).toEqual(
        ['202', '400', '401', '403', '404', '409', '413', '415', '500', '503'].sort(),
      );
    }
  });

  it('registers the bearer scheme and requires it on /api/v1 routes only', () => {
    expect(document.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const operation of Object.values(operations)) {
        if (path.startsWith('/api/v1/')) {
          expect(operation.security).toEqual([{ bearer: [] }]);
          expect(Object.keys(operation.responses)).toContain('401');
        } else {
          expect(operation.security).toBeUndefined();
        }
      }
    }
  });

  it("describes a release's rollback: its plan with timings, the pending decision and order, the report", () => {
    type Schema = { properties?: Record<string, unknown>; allOf?: Schema[] };
    const schemas = document.components.schemas as Record<string, Schema>;
    // A release is its summary and more: the more is the second part of an allOf.
    expect(Object.keys(schemas.Release?.allOf?.[1]?.properties ?? {})).toEqual(
      expect.arrayContaining([
        'rollbackPlan',
        'pendingDecision',
        'pendingRollbackOrder',
        'rollback',
        'rollbackOpenUntil',
      ]),
    );
    expect(Object.keys(schemas.Compensation?.properties ?? {})).toEqual(
      expect.arrayContaining(['startedAt', 'finishedAt', 'durationMs']),
    );
    expect(Object.keys(schemas.RollbackReport?.properties ?? {})).toEqual(
      expect.arrayContaining(['cause', 'automatic', 'verification', 'durationMs']),
    );
    expect(Object.keys(schemas.Plan?.properties ?? {})).toContain('rollback');
    expect(Object.keys(schemas.RollbackPolicy?.properties ?? {})).toEqual(
      expect.arrayContaining(['deciders', 'twoPersonEnvironments', 'afterSuccessMs', 'guidedSteps']),
    );
    const stepKinds = JSON.stringify(schemas.PlanStep);
    for (const kind of ['migrate', 'baseline', 'bake', 'rolling']) expect(stepKinds).toContain(`"${kind}"`);
    expect(schemas.PendingDecision).toBeDefined();
    expect(schemas.OrderResult).toBeDefined();
  });

  it('documents the closed set of release statuses, each described', () => {
    const status = document.components.schemas.ReleaseStatus;
    expect(status?.enum).toEqual([...RELEASE_STATUSES]);
    for (const value of RELEASE_STATUSES) expect(status?.description).toContain(`\`${value}\``);
  });
});

describe('public pages and unknown routes', () => {
  it('serves Swagger UI at /docs, pointing at the document', async () => {
    const { app } = await createTestApp();
    const response = await app.request('/docs');
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toMatch(/text\/html/);
    const html = await response.text();
    expect(html).toContain('SwaggerUIBundle');
    expect(html).toContain('/openapi.json');
  });

  it('answers an unknown route with a JSON 404', async () => {
    const { app } = await createTestApp();
    const response = await app.request('/nowhere');
    expect(response.status).toBe(404);
    expect(((await response.json()) as ErrorJson).error).toEqual({
      code: 'not_found',
      message: 'no route for GET /nowhere',
    });
  });
});
