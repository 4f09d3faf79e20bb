// /api/v1/releases/{id}/rollback, /abort and /decision: orders about a whole release
// (R-RB-TRIGGER-MANUAL) and the answer to a failure waiting for a person (R-GUIDED). Each is a
// signed decision the workflow judges against the deciders frozen at start, like an approval.
import { createRouter } from '../app-env.js';
import { decisionResponses } from '../error-responses.js';
import {
  GuidedDecisionSchema,
  OrderResultSchema,
  ReleaseIdParamsSchema,
  ReleaseOrderSchema,
} from '../release-schemas.js';
import type { ReleaseService } from '../release-service.js';
import { defineRoute } from '../route-roles.js';
import type { OrderAnswer } from '../services/release-orders.js';

const FURTHER_CHECK =
  "deploy in one of the release's environments (else 403); the workflow judges the order against who held deploy in its environment when the release started";

const ANSWERS =
  '202 when the workflow counted it; 403 when the caller may not (no `deploy` there when the release started, or what the runbook does not allow); 404 for a release the caller cannot read; 409 when the release has ended, predates rollback, or the moment has passed; 503 when no worker answered in time.';

const orderRequest = {
  params: ReleaseIdParamsSchema,
  body: { required: true, content: { 'application/json': { schema: ReleaseOrderSchema } } },
};

const rollback = defineRoute({
  method: 'post',
  path: '/{id}/rollback',
  tags: ['releases'],
  summary: 'Roll a release back: undo what it did, newest change first, and verify',
  description: `At any time while the release runs or bakes, and after success until its rollback window closes (\`rollbackOpenUntil\`) or a newer release of the service starts. Where the runbook makes production rollback two-person, the first order answers 202 with \`missing: ["deploy"]\` and the rollback starts once a second person with \`deploy\` orders it too. The release ends \`rolled-back\`. ${ANSWERS}`,
  role: 'deploy',
  furtherCheck: FURTHER_CHECK,
  request: orderRequest,
  responses: decisionResponses('The workflow counted the order.', OrderResultSchema),
});

const abort = defineRoute({
  method: 'post',
  path: '/{id}/abort',
  tags: ['releases'],
  summary: 'Abort a release: stop where it is and compensate what it changed',
  description: `The release stops at its current step, compensates and ends \`cancelled\`. ${ANSWERS}`,
  role: 'deploy',
  furtherCheck: FURTHER_CHECK,
  request: orderRequest,
  responses: decisionResponses('The workflow counted the order.', OrderResultSchema),
});

const decide = defineRoute({
  method: 'post',
  path: '/{id}/decision',
  tags: ['releases'],
  summary: 'Decide a failure the release waits at: retry, skip, rollback or abort',
  description: `Only while the release is \`waiting-decision\` (its \`pendingDecision\` lists the options; skipping a production verification only where the runbook allows it). ${ANSWERS}`,
  role: 'deploy',
  furtherCheck: FURTHER_CHECK,
  request: {
    params: ReleaseIdParamsSchema,
    body: { required: true, content: { 'application/json': { schema: GuidedDecisionSchema } } },
  },
  responses: decisionResponses('The workflow counted the decision.', OrderResultSchema),
});

const answerJson = (answer: OrderAnswer) => ({
  accepted: answer.accepted,
  decision: answer.decision,
  missing: [...answer.missing],
  message: answer.message,
});

export function releaseOrderRoutes(service: ReleaseService) {
  const router = createRouter();
  router.openapi(rollback, async (c) => {
    const { id } = c.req.valid('param');
    const { reason } = c.req.valid('json');
    return c.json(answerJson(await service.order(id, c.get('principal'), 'rollback', reason)), 202);
  });
  router.openapi(abort, async (c) => {
    const { id } = c.req.valid('param');
    const { reason } = c.req.valid('json');
    return c.json(answerJson(await service.order(id, c.get('principal'), 'abort', reason)), 202);
  });
  router.openapi(decide, async (c) => {
    const { id } = c.req.valid('param');
    const { decision, reason } = c.req.valid('json');
    return c.json(answerJson(await service.decideFailure(id, c.get('principal'), decision, reason)), 202);
  });
  return router;
}
