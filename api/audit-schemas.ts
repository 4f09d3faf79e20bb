// The shapes of GET /api/v1/audit: its query (validated, R-INPUT) and its answer.
import { z } from '@hono/zod-openapi';
import { AUDIT_OUTCOMES } from '../db/audit-log.js';
import { plainText } from './plain-text.js';

/** The most entries one page holds. */
export const MAX_AUDIT_PAGE = 500;

const filterText = (description: string, example: string) =>
  plainText({ min: 1, max: 200 }).optional().openapi({ description, example });

const instant = (description: string, example: string) =>
  z.iso.datetime({ offset: true }).optional().openapi({ description, example });

export const AuditQuerySchema = z.strictObject({
  actor: filterText('Only entries of this identity.', 'ops-wang'),
  action: filterText(
    'Only this operation, e.g. `releases.start` or `decision.refused-by-workflow`.',
    'releases.start',
  ),
  target: filterText('Only entries about this release id, service or path.', 'edm-web-regular-1.4.2-a1b2c3'),
  outcome: z.enum(AUDIT_OUTCOMES).optional().openapi({ description: 'Only this outcome.' }),
  since: instant('Only entries at or after this instant.', '2026-11-26T00:00:00.000Z'),
  until: instant(
    'Only entries before this instant (at or before since: an empty page).',
    '2026-11-27T00:00:00.000Z',
  ),
  before: z.coerce
    .number()
    .int()
    .min(1)
    .max(Number.MAX_SAFE_INTEGER)
    .optional()
    .openapi({ description: 'Only entries older than this id: the `nextBefore` of the previous page.' }),
  limit: z.coerce.number().int().min(1).max(MAX_AUDIT_PAGE).default(100),
});

export const AuditEventSchema = z
  .object({
    id: z.number().int(),
    occurredAt: z.string().openapi({ format: 'date-time', example: '2026-11-26T08:00:00.000Z' }),
    actor: z
      .string()
      .nullable()
      .openapi({ description: 'The identity; null when none was established (401).' }),
    action: z.string().openapi({ example: 'approvals.decide' }),
    target: z.string().openapi({ description: 'A release id, a service, or the request path.' }),
    environment: z.string().nullable(),
    outcome: z.enum(AUDIT_OUTCOMES),
    status: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'The HTTP status; null for a workflow’s refusal.' }),
    reason: z.string().nullable().openapi({ description: 'Why it was refused or failed: `code: message`.' }),
    requestId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('AuditEvent');

export const AuditPageSchema = z
  .object({
    events: z.array(AuditEventSchema).openapi({ description: 'Newest first.' }),
    nextBefore: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'Pass as `before` for the next page; null on the last page.' }),
  })
  .openapi('AuditPage');
