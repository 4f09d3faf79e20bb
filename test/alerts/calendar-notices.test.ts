// R-WINDOW-4 near the end of the holiday data: the calendar's effective end (the last instant a check
// can answer, earlier than the data's last date because a day looks ahead), what the start-up warning
// says, and the daily P2 notice to the admins' channel from 30 days before it — once a day whatever
// the number of workers, again the next day, and not at all while the end is further away.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CalendarNotices } from '../../alerts/calendar-notices.js';
import { ReleaseCalendars } from '../../calendar/release-calendars.js';
import { loadConfig } from '../../config/load-config.js';
import { createPool } from '../../db/create-pool.js';
import { createLogger } from '../../logging/logger.js';
import { type HttpReceiver, startHttpReceiver } from '../support/alert-receivers.js';
import { type MigratedDatabase, startMigratedDatabase } from '../support/migrated-database.js';

let database: MigratedDatabase;
let receiver: HttpReceiver;
let pool: ReturnType<typeof createPool>;
const logger = createLogger('calendar-notices', { level: 'silent' });

beforeAll(async () => {
  [database, receiver] = await Promise.all([
    startMigratedDatabase(),
    startHttpReceiver({ '/hooks/admins': { status: 200, body: 'ok' } }),
  ]);
  pool = createPool(database.appUrl, logger, 2);
});

afterAll(async () => {
  await pool?.end();
  await Promise.all([database?.stop(), receiver?.close()]);
});

describe('the release calendar near the end of its holiday data', () => {
  it('answers until 2026-12-21 15:59 in Shanghai, a week before its data ends, and says so at start', async () => {
    const calendars = new ReleaseCalendars(await loadConfig());
    const until = await calendars.effectiveUntil();
    expect(until?.toISOString()).toBe('2026-12-21T07:59:00.000Z');
    const check = (at: string) =>
      calendars.check({
        environment: 'production',
        at,
        policy: { windows: true, freezes: true },
        minimumRemainingMs: 0,
      } as never);
    expect(await check('2026-12-21T07:59:00Z')).toMatchObject({ kind: 'open' });
    expect(await check('2026-12-22T02:00:00Z')).toMatchObject({
      kind: 'unknown',
      reason: expect.stringMatching(/holiday data until 2026-12-28; this answer needs 2026-12-29/),
    });
    expect(await calendars.dataEndWarning(new Date('2026-12-06T00:00:00Z'))).toMatch(
      /answers until 2026-12-21T07:59:00.000Z \(in 15 days/,
    );
    expect(await calendars.dataEndWarning(new Date('2026-12-23T00:00:00Z'))).toMatch(
      /cannot answer since 2026-12-21T07:59:00.000Z .* wait at their release window for an override/,
    );
    const view = await calendars.view(
      'production',
      new Date('2026-12-14T00:00:00Z'),
      new Date('2026-12-15T00:00:00Z'),
    );
    expect(view.holidayDataUntil).toBe('2026-12-21T07:59:00.000Z');
  });

  it('sends one P2 notice a day to the admins’ channel from 30 days before, whatever the number of workers', async () => {
    const config = await loadConfig();
    let now = new Date('2026-11-15T01:00:00Z');
    const notices = (worker: string) =>
      new CalendarNotices({
        pool,
        logger: logger.child({ worker }),
        calendars: new ReleaseCalendars(config),
        calendarFile: join('config', 'calendar.yml'),
        now: () => now,
        alerting: {
          alerts: {
            channels: { admins: { type: 'webhook', urlEnv: 'ADMINS_URL' } },
            routes: { P0: [], P1: [], P2: ['admins'], P3: [] },
            announcements: { services: {} },
            deliveryAttempts: 1,
          },
          contacts: {},
          apiBaseUrl: 'https://runway.example.com',
          temporalWebUrl: 'http://localhost:8233',
          namespace: 'default',
          env: { ADMINS_URL: `${receiver.url}/hooks/admins` },
        },
      });
    expect(await notices('a').checkOnce()).toBe('not-due');
    now = new Date('2026-11-22T01:00:00Z');
    expect(await Promise.all([notices('a').checkOnce(), notices('b').checkOnce()])).toEqual(
      expect.arrayContaining(['sent', 'already-sent']),
    );
    expect(await notices('a').checkOnce()).toBe('already-sent');
    now = new Date('2026-11-23T01:00:00Z');
    expect(await notices('b').checkOnce()).toBe('sent');
    const sent = receiver.requests.filter((request) => request.path === '/hooks/admins');
    expect(sent).toHaveLength(2);
    expect(sent[0]?.body).toMatchObject({
      level: 'P2',
      kind: 'calendar-data-ending',
      message: expect.stringMatching(
        /can answer only until 2026-12-21T07:59:00.000Z \(29 days\).*holidays.add and holidays.workdays/,
      ),
    });
  });
});
