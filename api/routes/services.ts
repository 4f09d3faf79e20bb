// /api/v1/services: the configured services and where each runs, as far as the caller reads.
// /api/v1/services/{service}/environments/{environment}: what runs there, as the target itself says
// (asked through the service's driver on a worker, R-SEMVER), and the Runway release that put it
// there, or null when Runway did not (a change made by hand).
// …/health: one round of the service's configured verification checks there, run on a worker.
import { z } from '@hono/zod-openapi';
import { NAME_PATTERN } from '../../config/config-schema.js';
import { COLOURS, RELEASE_TYPES } from '../../workflows/release-model.js';
import { HEALTH_TIMEOUT_SECONDS } from '../../workflows/target-health-model.js';
import { createRouter } from '../app-env.js';
import { errorResponsesFor } from '../error-responses.js';
import { assertReads } from '../principal.js';
import type { ReleaseService } from '../release-service.js';
import { defineRoute } from '../route-roles.js';

const nameParam = (name: string, example: string) =>
  z
    .string()
    .regex(NAME_PATTERN, `expected a lower-case ${name} name (a-z, 0-9, -)`)
    .openapi({ param: { name, in: 'path' }, example });

const ServiceEnvironmentParamsSchema = z.object({
  service: nameParam('service', 'edm-web'),
  environment: nameParam('environment', 'production'),
});

const ServiceEnvironmentSchema = z
  .object({
    service: z.string(),
    environment: z.string(),
    strategy: z.enum(['blue-green', 'rolling']),
    version: z.string().nullable().openapi({
      description:
        'What the target reports it serves (blue-green: the active colour; rolling: the highest instance version); null: nothing.',
    }),
    activeColour: z.enum(COLOURS).nullable().optional().openapi({ description: 'Blue-green only.' }),
    colours: z
      .object({
        blue: z.object({ version: z.string() }).nullable(),
        green: z.object({ version: z.string() }).nullable(),
      })
      .optional()
      .openapi({ description: 'Blue-green only: what each colour runs.' }),
    instances: z
      .array(z.object({ instance: z.string(), version: z.string() }))
      .optional()
      .openapi({ description: 'Rolling only: each instance and its version.' }),
    release: z
      .object({ id: z.string(), type: z.enum(RELEASE_TYPES), finishedAt: z.string().nullable() })
      .nullable()
      .openapi({
        description:
          'The newest Runway release that deployed this version here and ended its production work well; null when Runway did not deploy it.',
      }),
  })
  .openapi('ServiceEnvironment');

export const ServiceListSchema = z
  .object({
    services: z.array(
      z.object({
        name: z.string().openapi({ example: 'edm-web' }),
        description: z.string().nullable().openapi({ description: 'null: the configuration gives none.' }),
        strategy: z.enum(['blue-green', 'rolling']),
        environments: z.array(z.string()).openapi({
          description:
            'Where the service runs and the caller may read, in the configuration’s order (by name).',
          example: ['production', 'staging', 'test'],
        }),
      }),
    ),
  })
  .openapi('ServiceList');

const HealthQuerySchema = z.strictObject({
  timeout: z.coerce
    .number()
    .int()
    .min(HEALTH_TIMEOUT_SECONDS.min)
    .max(HEALTH_TIMEOUT_SECONDS.max)
    .default(HEALTH_TIMEOUT_SECONDS.default)
    .openapi({
      description:
        'Seconds: the budget of the whole round; no check waits longer than this or than its own configured timeout.',
      example: HEALTH_TIMEOUT_SECONDS.default,
    }),
});

export const ServiceHealthSchema = z
  .object({
    service: z.string(),
    environment: z.string(),
    healthy: z.boolean().openapi({ description: 'Every check passed in this one round.' }),
    checks: z.array(
      z.object({
        name: z.string().openapi({ example: 'health' }),
        passed: z.boolean(),
        latencyMs: z.number().int(),
        detail: z.string().openapi({ example: 'status 200' }),
      }),
    ),
    checkedAt: z.string().openapi({ format: 'date-time', example: '2026-12-06T10:00:00.000Z' }),
  })
  .openapi('ServiceHealth');

const listServices = defineRoute({
  method: 'get',
  path: '/',
  tags: ['services'],
  summary: 'The services Runway releases, and where each runs',
  description:
    'From the configuration: each service with its description, deploy strategy and the environments where it runs that the caller reads; a service the caller reads nowhere is left out.',
  role: 'read',
  furtherCheck: 'lists only the environments the caller reads',
  request: {},
  responses: {
    200: {
      description: 'The services.',
      content: { 'application/json': { schema: ServiceListSchema } },
    },
    ...errorResponsesFor(400, 401, 403, 500),
  },
});

const getServiceHealth = defineRoute({
  method: 'get',
  path: '/{service}/environments/{environment}/health',
  tags: ['services'],
  summary: 'How a service is doing in an environment',
  description:
    'Runs the service’s configured `verification` checks once against the environment’s URL, on a worker (versions are not compared). A target failing its checks is still 200, with `healthy: false` and what failed. 404 for an unknown environment or a service that does not run there; 503 when no worker answers in time.',
  role: 'read',
  furtherCheck: 'read in that environment',
  request: { params: ServiceEnvironmentParamsSchema, query: HealthQuerySchema },
  responses: {
    200: {
      description: 'The round’s result.',
      content: { 'application/json': { schema: ServiceHealthSchema } },
    },
    ...errorResponsesFor(400, 401, 403, 404, 500, 503),
  },
});

const getServiceEnvironment = defineRoute({
  method: 'get',
  path: '/{service}/environments/{environment}',
  tags: ['services'],
  summary: 'What a service runs in an environment, and the release that put it there',
  description:
    'Asks the target itself through the service driver (`inspect` for blue-green, `instances` for rolling), on a worker: 422 when the target does not say (unreachable, or it does not run the service), 503 when no answer comes in time.',
  role: 'read',
  furtherCheck: 'read in that environment',
  request: { params: ServiceEnvironmentParamsSchema },
  responses: {
    200: {
      description: 'What runs there.',
      content: { 'application/json': { schema: ServiceEnvironmentSchema } },
    },
    ...errorResponsesFor(400, 401, 403, 404, 422, 500, 503),
  },
});

export function serviceRoutes(service: ReleaseService) {
  const router = createRouter();
  router.openapi(listServices, (c) => c.json({ services: service.services(c.get('principal')) }, 200));
  router.openapi(getServiceHealth, async (c) => {
    const { service: name, environment } = c.req.valid('param');
    const { timeout } = c.req.valid('query');
    const health = await service.health.check(c.get('principal'), name, environment, timeout * 1000);
    return c.json(health, 200);
  });
  router.openapi(getServiceEnvironment, async (c) => {
    const { service: name, environment } = c.req.valid('param');
    const principal = c.get('principal');
    assertReads(principal, environment);
    const deployed = await service.targets.inspect(name, environment);
    const release =
      deployed.version === null
        ? undefined
        : await service.targets.deployedBy(name, environment, deployed.version);
    const { inspection } = deployed;
    return c.json(
      {
        service: name,
        environment,
        strategy: deployed.strategy,
        version: deployed.version,
        ...(inspection.strategy === 'blue-green'
          ? { activeColour: inspection.activeColour, colours: inspection.colours }
          : { instances: inspection.instances }),
        release: release
          ? { id: release.id, type: release.type, finishedAt: release.finishedAt?.toISOString() ?? null }
          : null,
      },
      200,
    );
  });
  return router;
}
