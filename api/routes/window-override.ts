// /api/v1/releases/{id}/window-override: let a release waiting for its release window through now,
// with a reason (R-WINDOW-5). Two admins by default (R-TWO-PERSON: not the same one twice, never
// the requester); the workflow verifies each like an approval, and the history keeps both.
import { z } from '@hono/zod-openapi';
import { createRouter } from '../app-env.js';
import { decisionResponses } from '../error-responses.js';
import { plainText } from '../plain-text.js';
import { DecisionResultSchema, ReleaseIdParamsSchema } from '../release-schemas.js';
import type { ReleaseService } from '../release-service.js';
import { defineRoute } from '../route-roles.js';

const WindowOverrideSchema = z
  .strictObject({
    reason: plainText({ min: 3, max: 500, tooShort: 'expected a reason of at least 3 characters' }),
  })
  .openapi('WindowOverride');

const override = defineRoute({
  method: 'post',
  path: '/{id}/window-override',
  tags: ['releases'],
  summary: 'Override the release window for one release (two admins confirm)',
  description:
    'Counts one confirmation of the override of the window the release waits for. It goes through once the quorum the runbook names is met (two distinct admins of the environment by default, never the requester). 202 with the seats still missing; 403 when the caller may fill no seat; 409 when the release is not waiting for a window or the caller already confirmed.',
  role: 'read',
  furtherCheck:
    'a seat on the override roster frozen at start (two distinct admins of the environment by default; never the requester), judged and recorded by the workflow',
  request: {
    params: ReleaseIdParamsSchema,
    body: { required: true, content: { 'application/json': { schema: WindowOverrideSchema } } },
  },
  responses: decisionResponses(
    'The workflow counted the confirmation; `missing` lists the seats still empty.',
    DecisionResultSchema,
  ),
});

export function windowOverrideRoutes(service: ReleaseService) {
  const router = createRouter();
  router.openapi(override, async (c) => {
    const { id } = c.req.valid('param');
    const { reason } = c.req.valid('json');
    const result = await service.decide(
      id,
      c.get('principal'),
      { decision: 'approve', comment: reason },
      'window',
    );
    return c.json({ counted: result.counted, missing: [...result.missing] }, 202);
  });
  return router;
}
