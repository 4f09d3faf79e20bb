// /api/v1/releases/{id}/postmortem: attach the documentation (hotfix) or incident-review (emergency)
// link a release owes after its production work (R-POSTHOC). A signed `document` claim the workflow
// judges, like an order; once counted the release leaves `awaiting-docs` and ends `succeeded`.
import { z } from '@hono/zod-openapi';
import { createRouter } from '../app-env.js';
import { decisionResponses } from '../error-responses.js';
import { plainText } from '../plain-text.js';
import { ReleaseIdParamsSchema } from '../release-schemas.js';
import { defineRoute } from '../route-roles.js';
import type { ReleasePostmortems } from '../services/release-postmortem.js';

export const PostmortemSchema = z
  .strictObject({
    link: z
      .url({ protocol: /^https?$/, error: 'expected an http or https URL' })
      .max(2000)
      .openapi({ example: 'https://wiki.example.com/incidents/2026-11-26-edm-web' }),
    note: plainText({ max: 2000, tooLong: 'expected a note of at most 2000 characters' })
      .optional()
      .openapi({ description: 'What the document covers, in a few words; kept with the link.' }),
  })
  .openapi('Postmortem');

export const PostmortemResultSchema = z
  .object({
    accepted: z.literal(true),
    link: z.string(),
    message: z.string().openapi({ description: 'What happened, in words.' }),
  })
  .openapi('PostmortemResult');

const attach = defineRoute({
  method: 'post',
  path: '/{id}/postmortem',
  tags: ['releases'],
  summary: 'Attach the documentation or incident review a hotfix or emergency owes',
  description:
    'Only while the release is `awaiting-docs` (its production work is done; `postHoc` says what it owes). 202 when the workflow counted it: the release is then `succeeded` and its reminders stop; 400 for a link that is not an http or https URL; 403 for anyone but the requester or someone with `deploy` in production; 404 for a release the caller cannot read; 409 when the release owes nothing, is not awaiting its documents yet, or already has them; 503 when no worker answered in time.',
  role: 'read',
  furtherCheck:
    "being the release's requester or holding deploy in production (else 403), judged again by the workflow against the roster frozen at start",
  request: {
    params: ReleaseIdParamsSchema,
    body: { required: true, content: { 'application/json': { schema: PostmortemSchema } } },
  },
  responses: decisionResponses('The workflow counted the link.', PostmortemResultSchema),
});

export function postmortemRoutes(postmortems: ReleasePostmortems) {
  const router = createRouter();
  router.openapi(attach, async (c) => {
    const { id } = c.req.valid('param');
    const { link, note } = c.req.valid('json');
    return c.json(await postmortems.attach(id, c.get('principal'), link, note), 202);
  });
  return router;
}
