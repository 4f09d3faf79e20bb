// /api/v1/services/{service}/environments/{environment}: what runs there, as the target itself says
// (asked through the service's driver on a worker, R-SEMVER), and the Runway release that put it
// there, or null when Runway did not (a change made by hand).
import { z } from '@hono/zod-openapi';
import { NAME_PATTERN } from '../../config/config-schema.js';
import { COLOURS, RELEASE_TYPES } from '../../workflows/release-model.js';
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
