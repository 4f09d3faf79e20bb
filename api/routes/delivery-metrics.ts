// /api/v1/metrics/delivery: deployment frequency, success rate, deployment time, rollback rate,
// change failure rate, time to restore and lead time of one environment, against the seed's
// targets (R-METRICS). Definitions: docs/delivery-metrics.md.
import { z } from '@hono/zod-openapi';
import { NAME_PATTERN } from '../../config/config-schema.js';
import { RELEASE_TYPES } from '../../workflows/release-model.js';
import { createRouter } from '../app-env.js';
import { errorResponsesFor } from '../error-responses.js';
import { assertReads } from '../principal.js';
import type { ReleaseService } from '../release-service.js';
import { defineRoute } from '../route-roles.js';
import { NotFoundError } from '../service-errors.js';
import {
  DELIVERY_METRIC_KEYS,
  DELIVERY_METRIC_UNITS,
  TARGET_OPERATORS,
} from '../services/delivery-metrics.js';
import { DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS } from '../services/delivery-metrics-report.js';

const instant = (description: string, example: string) =>
  z.iso.datetime({ offset: true }).optional().openapi({ description, example });

const DeliveryMetricsQuerySchema = z.strictObject({
  service: z
    .string()
    .regex(NAME_PATTERN, 'expected a lower-case service name (a-z, 0-9, -)')
    .optional()
    .openapi({
      description: 'Only this service’s releases; every service when left out.',
      example: 'edm-web',
    }),
  type: z
    .enum(RELEASE_TYPES)
    .optional()
    .openapi({ description: 'Only releases of this type; every type when left out.' }),
  environment: z
    .string()
    .regex(NAME_PATTERN, 'expected a lower-case environment name (a-z, 0-9, -)')
    .default('production')
    .openapi({ description: 'The environment deployed to; the caller must read it.', example: 'production' }),
  from: instant(
    `Deployments that started at or after this instant; by default ${DEFAULT_WINDOW_DAYS} days before \`to\`.`,
    '2026-11-01T00:00:00.000Z',
  ),
  to: instant(
    `Deployments that started before this instant; by default now. After \`from\`, at most ${MAX_WINDOW_DAYS} days later: a window outside this rule is answered 422.`,
    '2026-11-29T00:00:00.000Z',
  ),
});

const DeliveryMetricSchema = z
  .object({
    key: z.enum(DELIVERY_METRIC_KEYS),
    label: z.string().openapi({ example: 'Deployment frequency' }),
    value: z.number().nullable().openapi({
      description:
        'Null when there is nothing to measure (sample 0); the deployment frequency is then 0, since no deployment in the window is a measurement.',
      example: 2.5,
    }),
    unit: z.enum(DELIVERY_METRIC_UNITS).openapi({
      description: '`per-week`: deployments a week; `ratio`: 0 to 1; `seconds`: a mean duration.',
    }),
    target: z
      .object({ op: z.enum(TARGET_OPERATORS), value: z.number() })
      .nullable()
      .openapi({ description: 'The seed’s target; null where it sets none.' }),
    met: z.boolean().nullable().openapi({ description: 'Null without a value or without a target.' }),
    sample: z.number().int().min(0).openapi({
      description: 'The deployments (or, for the time to restore, the restores) the value is computed from.',
    }),
  })
  .openapi('DeliveryMetric');

export const DeliveryMetricsSchema = z
  .object({
    from: z.string().openapi({ description: 'The window’s start (inclusive), ISO-8601.' }),
    to: z.string().openapi({ description: 'The window’s end (exclusive), ISO-8601.' }),
    service: z.string().nullable(),
    type: z.enum(RELEASE_TYPES).nullable(),
    environment: z.string(),
    metrics: z.array(DeliveryMetricSchema).openapi({
      description: `In this order: ${DELIVERY_METRIC_KEYS.join(', ')}.`,
    }),
  })
  .openapi('DeliveryMetrics');

const getDeliveryMetrics = defineRoute({
  method: 'get',
  path: '/delivery',
  tags: ['metrics'],
  summary: 'Delivery metrics of an environment against the seed’s targets',
  description:
    'Computed from the release records. A deployment is a release whose first step changing a target in the environment started in the window; releases still in flight are left out of every rate and mean until they end. 404 for an environment that is not configured, 403 for one the caller does not read.',
  role: 'read',
  furtherCheck: 'read in the environment asked for',
  request: { query: DeliveryMetricsQuerySchema },
  responses: {
    200: {
      description: 'The metrics.',
      content: { 'application/json': { schema: DeliveryMetricsSchema } },
    },
    ...errorResponsesFor(400, 401, 403, 404, 422, 500, 503),
  },
});

export function deliveryMetricsRoutes(service: ReleaseService, environments: readonly string[]) {
  const router = createRouter();
  router.openapi(getDeliveryMetrics, async (c) => {
    const query = c.req.valid('query');
    if (!environments.includes(query.environment)) {
      throw new NotFoundError(`no environment ${query.environment}`);
    }
    assertReads(c.get('principal'), query.environment);
    return c.json(await service.deliveryMetrics(query), 200);
  });
  return router;
}
