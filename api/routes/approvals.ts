// /api/v1/releases/{id}/approvals: approve or reject the gate a release waits at (R-APPROVE).
// Who may decide depends on the gate's environment and seats, so ReleaseService judges it.
import { createRouter } from '../app-env.js';
import { decisionResponses } from '../error-responses.js';
import { DecisionResultSchema, DecisionSchema, ReleaseIdParamsSchema } from '../release-schemas.js';
import type { ReleaseService } from '../release-service.js';
import { defineRoute } from '../route-roles.js';

const decide = defineRoute({
  method: 'post',
  path: '/{id}/approvals',
  tags: ['releases'],
  summary: 'Approve or reject the pending gate of a release',
  description:
    'The API signs the decision and asks the workflow, which verifies the signature and judges it against the roster frozen at start: 202 when counted, 403 when the caller may fill no seat (the requester, or no approver role there), 409 when the gate is closed or the caller already decided, 503 when no worker answered in time. Nobody decides on their own release, and one person fills at most one seat (R-SOD).',
  role: 'read',
  furtherCheck:
    "a seat on the gate's roster frozen at start (pm, tech-lead, on-call-lead as the runbook names them; never the requester), judged and recorded by the workflow",
  request: {
    params: ReleaseIdParamsSchema,
    body: { required: true, content: { 'application/json': { schema: DecisionSchema } } },
  },
  responses: decisionResponses(
    'The workflow counted the decision (its own verdict); `missing` lists the seats still empty.',
    DecisionResultSchema,
  ),
});

export function approvalRoutes(service: ReleaseService) {
  const router = createRouter();
  router.openapi(decide, async (c) => {
    const { id } = c.req.valid('param');
    const { decision, comment } = c.req.valid('json');
    const result = await service.decide(id, c.get('principal'), {
      decision,
      ...(comment ? { comment } : {}),
    });
    return c.json({ counted: result.counted, missing: [...result.missing] }, 202);
  });
  return router;
}
