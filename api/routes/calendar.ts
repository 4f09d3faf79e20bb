// /api/v1/calendar: the release windows and blocked periods of an environment (R-WINDOW-6), for
// anyone who reads that environment. Instants in UTC; the calendar's own time zone is named.
import { z } from '@hono/zod-openapi';
import type { CalendarSource } from '../../calendar/release-calendars.js';
import { createRouter } from '../app-env.js';
import { errorResponsesFor } from '../error-responses.js';
import { assertReads } from '../principal.js';
import { defineRoute } from '../route-roles.js';
import { UnprocessableError } from '../service-errors.js';

/** The longest range one request may ask for. */
const MAX_RANGE_DAYS = 400;

const instant = (example: string, description: string) =>
  z.iso.datetime({ offset: true }).openapi({ example, description });

const CalendarQuerySchema = z.strictObject({
  environment: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'expected an environment name'),
  from: instant('2026-12-01T00:00:00.000Z', 'Start of the range (inclusive).'),
  to: instant(
    '2026-12-08T00:00:00.000Z',
    `End of the range (exclusive): at or after from (equal: an empty range), at most ${MAX_RANGE_DAYS} days later; a range outside this rule is answered 422.`,
  ),
});

/**
 * The range rule, which a query schema cannot state: from ≤ to (an empty range answers nothing),
 * at most MAX_RANGE_DAYS apart. A schema-valid range outside it is a 422, not a 400.
 */
function assertRange(from: Date, to: Date): void {
  if (to < from) throw new UnprocessableError('expected to at or after from');
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000)
    throw new UnprocessableError(`expected at most ${MAX_RANGE_DAYS} days between from and to`);
}

const interval = z.object({ start: z.string(), end: z.string() });

export const CalendarSchema = z
  .object({
    environment: z.string(),
    timeZone: z.string(),
    holidayDataUntil: z.string().nullable().openapi({
      description:
        'The effective end of the holiday data: the last instant (UTC) at which a check can answer whether a regular release may go. Earlier than the data itself ends, since a day looks ahead (the working day before a holiday, a major holiday freeze). Null: a calendar without holiday data.',
    }),
    windows: z.array(interval).openapi({
      description:
        'Allowed intervals for a regular release, UTC, ascending, clipped to [from, to): avoided days, forbidden peaks and freezes already cut out.',
    }),
    freezes: z.array(interval.extend({ reason: z.string() })).openapi({
      description:
        'Every blocked period overlapping the range (computed and configured freezes, business peaks), clipped.',
    }),
  })
  .openapi('Calendar');

const getCalendar = defineRoute({
  method: 'get',
  path: '/',
  tags: ['calendar'],
  summary: 'Release windows and freezes of an environment between two instants',
  role: 'read',
  furtherCheck: 'read in the environment asked for',
  request: { query: CalendarQuerySchema },
  responses: {
    200: { description: 'The calendar.', content: { 'application/json': { schema: CalendarSchema } } },
    ...errorResponsesFor(400, 401, 403, 404, 422, 500),
  },
});

export function calendarRoutes(calendars: CalendarSource) {
  const router = createRouter();
  router.openapi(getCalendar, async (c) => {
    const { environment, from, to } = c.req.valid('query');
    const principal = c.get('principal');
    assertReads(principal, environment);
    assertRange(new Date(from), new Date(to));
    return c.json(await calendars.view(environment, new Date(from), new Date(to)), 200);
  });
  return router;
}
