// /api/v1/audit: the audit trail (R-AUDIT), for admins. An admin sees the entries of the environments
// where they are admin, and those that concern no single environment (a 401, a list of releases).
import type { AuditLog } from '../../db/audit-log.js';
import { createRouter } from '../app-env.js';
import { AuditPageSchema, AuditQuerySchema } from '../audit-schemas.js';
import { errorResponsesFor } from '../error-responses.js';
import { defineRoute } from '../route-roles.js';

const listAudit = defineRoute({
  method: 'get',
  path: '/',
  tags: ['audit'],
  summary: 'The audit trail, newest first',
  description:
    'Every API operation, allowed or refused, and every decision a workflow refused. Filters combine; page with `before` set to the previous page’s `nextBefore`. Entries of environments where the caller is not admin are left out.',
  role: 'admin',
  furtherCheck: 'only entries of environments where the caller is admin, and those of no single environment',
  request: { query: AuditQuerySchema },
  responses: {
    200: {
      description: 'One page of entries.',
      content: { 'application/json': { schema: AuditPageSchema } },
    },
    ...errorResponsesFor(400, 401, 403, 500, 503),
  },
});

export function auditRoutes(audit: Pick<AuditLog, 'list'>, environments: readonly string[]) {
  const router = createRouter();
  router.openapi(listAudit, async (c) => {
    const { since, until, ...filters } = c.req.valid('query');
    const principal = c.get('principal');
    const page = await audit.list({
      ...filters,
      ...(since ? { since: new Date(since) } : {}),
      ...(until ? { until: new Date(until) } : {}),
      environments: environments.filter((environment) => principal.rolesIn(environment).includes('admin')),
    });
    return c.json(
      {
        events: page.events.map(({ occurredAt, ...event }) => ({
          ...event,
          occurredAt: occurredAt.toISOString(),
        })),
        nextBefore: page.nextBefore,
      },
      200,
    );
  });
  return router;
}
