// /api/v1/releases/{id}/confirmations: confirm the manual checklist item a release waits at
// (R-CHECKLIST). A signed decision the workflow judges against the item's roster frozen at start,
// like an approval; the note says what was checked and stays in the release's checklist.
import { z } from '@hono/zod-openapi';
import { ACCESS_ROLES, APPROVER_ROLES } from '../../workflows/release-model.js';
import { createRouter } from '../app-env.js';
import { decisionResponses } from '../error-responses.js';
import { plainText } from '../plain-text.js';
import { ReleaseIdParamsSchema } from '../release-schemas.js';
import type { ReleaseService } from '../release-service.js';
import { defineRoute } from '../route-roles.js';

export const ConfirmationSchema = z
  .strictObject({
    stepId: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,62}$/, 'expected the id of a checklist step, e.g. user-feedback')
      .openapi({ description: 'The confirm step waiting (`pendingGate.gateId`).', example: 'user-feedback' }),
    // No NUL: PostgreSQL text cannot hold it, and a note must never be what a record refuses.
    note: plainText({
      min: 1,
      max: 500,
      tooShort: 'expected a note saying what was checked',
      tooLong: 'expected a note of at most 500 characters',
      notBlank: 'expected a note, not only blanks',
    }).openapi({
      description: 'What was checked, kept in the checklist.',
      example: 'no complaints in the support queue',
    }),
  })
  .openapi('Confirmation');

export const ConfirmationResultSchema = z
  .object({
    counted: z.literal(true),
    stepId: z.string(),
    confirmedBy: z.string(),
    role: z
      .enum([...ACCESS_ROLES, ...APPROVER_ROLES])
      .openapi({ description: 'The role the confirmation was counted for.' }),
  })
  .openapi('ConfirmationResult');

const confirm = defineRoute({
  method: 'post',
  path: '/{id}/confirmations',
  tags: ['releases'],
  summary: 'Confirm the manual checklist item a release waits at',
  description:
    "The API signs the confirmation and asks the workflow, which verifies the signature and judges it against the item's roster frozen at start: 202 when counted; 403 when the caller does not hold the item's role in its environment (or is the requester and the role is an approver role); 404 for a release the caller cannot read; 409 when the release does not wait for that item (another step, ended, already confirmed); 503 when no worker answered in time. Every attempt is recorded in the release's decisions.",
  role: 'read',
  furtherCheck:
    "the confirm step's role in its environment, on the roster frozen at start (the requester only for an access role such as deploy), judged and recorded by the workflow",
  request: {
    params: ReleaseIdParamsSchema,
    body: { required: true, content: { 'application/json': { schema: ConfirmationSchema } } },
  },
  responses: decisionResponses('The workflow counted the confirmation.', ConfirmationResultSchema),
});

export function confirmationRoutes(service: ReleaseService) {
  const router = createRouter();
  router.openapi(confirm, async (c) => {
    const { id } = c.req.valid('param');
    const { stepId, note } = c.req.valid('json');
    const answer = await service.confirm(id, c.get('principal'), { stepId, note });
    return c.json(
      { counted: answer.counted, stepId: answer.stepId, confirmedBy: answer.confirmedBy, role: answer.role },
      202,
    );
  });
  return router;
}
