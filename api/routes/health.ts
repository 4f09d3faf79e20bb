// Probes for whoever runs the API (an orchestrator, the dev stack): no auth, no business logic.
import { z } from '@hono/zod-openapi';
import type { Logger } from '../../logging/logger.js';
import { createRouter } from '../app-env.js';
import { defineRoute } from '../route-roles.js';

export type Readiness = () => Promise<{
  ok: boolean;
  checks: Record<string, boolean>;
  down?: string[];
  calendar?: { effectiveUntil: string | null };
}>;

const ReadinessSchema = z
  .object({
    ok: z.boolean(),
    checks: z
      .record(z.string(), z.boolean())
      .openapi({ description: 'Each dependency by name, e.g. temporal, database.' }),
    down: z.array(z.string()).optional().openapi({ description: 'The dependencies that do not answer.' }),
    calendar: z
      .object({
        effectiveUntil: z.string().nullable().openapi({
          description:
            'The last instant the release calendar can answer for a regular release (null: it never ends). Past it, regular releases wait for an override until the next official holiday schedule is added to config/calendar.yml. Informational: never makes the API unready.',
        }),
      })
      .optional(),
  })
  .openapi('Readiness');

const liveness = defineRoute({
  role: 'public',
  method: 'get',
  path: '/healthz',
  tags: ['health'],
  summary: 'Liveness: the process answers',
  responses: {
    200: {
      description: 'Alive.',
      content: { 'application/json': { schema: z.object({ ok: z.literal(true) }) } },
    },
  },
});

const readiness = defineRoute({
  role: 'public',
  method: 'get',
  path: '/readyz',
  tags: ['health'],
  summary: 'Readiness: the dependencies answer',
  responses: {
    200: { description: 'Ready.', content: { 'application/json': { schema: ReadinessSchema } } },
    503: { description: 'Not ready.', content: { 'application/json': { schema: ReadinessSchema } } },
  },
});

/** Without a readiness check the API counts as ready once it answers. */
export function healthRoutes(check: Readiness | undefined, logger: Logger) {
  const router = createRouter();
  router.openapi(liveness, (c) => c.json({ ok: true as const }, 200));
  router.openapi(readiness, async (c) => {
    let result: Awaited<ReturnType<Readiness>>;
    try {
      result = check ? await check() : { ok: true, checks: {} };
    } catch (error) {
      // A check that throws is a dependency that does not answer, not a crash of the probe.
      logger.warn({ err: error }, 'readiness check failed');
      result = { ok: false, checks: {} };
    }
    return c.json(result, result.ok ? 200 : 503);
  });
  return router;
}
