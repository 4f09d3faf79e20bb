// The release-window calendar (R-WINDOW-1..4) as a table of concrete instants. Every calendar is
// declared here (never the shipped config/calendar.yml) and every instant is written out, so these
// pass on any date. The Chinese schedule for 2026 they rely on, from chinese-days 1.5.7:
//   Tomb-sweeping Day  2026-04-04 (Sat) .. 04-06 (Mon) off
//   Spring Festival    2026-02-15 (Sun) .. 02-23 (Mon) off; 02-14 (Sat) and 02-28 (Sat) worked
//   Mid-autumn         2026-09-25 (Fri) .. 09-27 (Sun) off
//   National Day       2026-10-01 (Thu) .. 10-07 (Wed) off; 09-20 (Sun) and 10-10 (Sat) worked
// and its data ends on 2026-12-28 (calendar-config.test.ts shows why).
import { describe, expect, it } from 'vitest';
import { type CalendarConfigInput, calendarConfigSchema } from '../../calendar/calendar-schema.js';
import { CalendarDataExhausted } from '../../calendar/holiday-calendar.js';
import {
  type NextAllowedMoment,
  nextAllowedMoment,
  type ReleaseCalendar,
  releaseCalendar,
  type WindowPolicy,
  windowsBetween,
} from '../../calendar/release-windows.js';

/** Asia/Shanghai wall time '2026-03-12 16:30[:ss.mmm]' as an instant (the zone has no DST). */
const sh = (local: string) => new Date(`${local.replace(' ', 'T')}${local.length === 16 ? ':00' : ''}+08:00`);

const SHANGHAI_BASE: CalendarConfigInput = {
  country: 'CN',
  windows: {
    default: [
      { start: '10:00', end: '12:00' },
      { start: '14:00', end: '16:00' },
    ],
  },
  avoid: { fridayAfternoon: true, lastWorkingDayBeforeHoliday: true },
  peaks: [
    { start: '2026-11-11T00:00', end: '2026-11-12T00:00', reason: "Singles' Day" },
    { start: '2026-11-12T10:30:00+08:00', end: '2026-11-12T03:00:00Z', reason: 'flash sale' },
  ],
  freezes: [{ start: '2026-03-18T10:30', end: '2026-03-18T15:00', reason: 'database maintenance' }],
  majorHolidays: { names: ['Spring Festival', 'National Day'], daysBefore: 7 },
  holidays: { add: [], workdays: [], dataUntil: null },
};
const shanghai = (changes: Partial<CalendarConfigInput> = {}): ReleaseCalendar =>
  releaseCalendar(calendarConfigSchema.parse({ ...SHANGHAI_BASE, ...changes }), 'Asia/Shanghai');

const STANDARD = shanghai();
/** The same without computed holiday freezes, to see the avoided day before a holiday on its own. */
const NO_HOLIDAY_FREEZE = shanghai({ majorHolidays: { names: [], daysBefore: 7 } });
/** 2027 made known through config: its National Day, and the data trusted until the end of 2027. */
const EXTENDED = shanghai({
  holidays: {
    add: ['01', '02', '03', '04', '05', '06', '07'].map((day) => ({
      date: `2027-10-${day}`,
      name: 'National Day',
    })),
    workdays: [{ date: '2027-09-26', name: 'National Day' }],
    dataUntil: '2027-12-31',
  },
});

/**
 * Europe/Berlin, no official holidays (country none): only the DST days matter here. Both fall on a
 * Sunday, so config makes them working days, and the window edge 02:30 is skipped on 2026-03-29
 * (02:00 -> 03:00) and happens twice on 2026-10-25 (03:00 -> 02:00).
 */
const berlin = (windows: { start: string; end: string }[]): ReleaseCalendar =>
  releaseCalendar(
    calendarConfigSchema.parse({
      country: 'none',
      windows: { default: windows },
      avoid: { fridayAfternoon: false, lastWorkingDayBeforeHoliday: false },
      majorHolidays: { names: [], daysBefore: 7 },
      holidays: { workdays: [{ date: '2026-03-29' }, { date: '2026-10-25' }] },
    }),
    'Europe/Berlin',
  );
const BERLIN = berlin([{ start: '02:30', end: '04:00' }]);
const BERLIN_EARLY = berlin([{ start: '00:00', end: '02:30' }]);

const OUTSIDE = 'outside the release windows (10:00–12:00, 14:00–16:00 on working days)';
const NATIONAL_DAY_FREEZE = 'freeze: National Day holiday 2026-10-01 to 2026-10-07 and the 7 days before';
const SPRING_FESTIVAL_FREEZE =
  'freeze: Spring Festival holiday 2026-02-15 to 2026-02-23 and the 7 days before';

const open = (windowEnd: Date): NextAllowedMoment => ({ allowedNow: true, windowEnd });
const wait = (at: Date, reason: string): NextAllowedMoment => ({ allowedNow: false, at, reason });

describe('nextAllowedMoment', () => {
  it.each<[string, ReleaseCalendar, Date, NextAllowedMoment]>([
    // Working days, windows and the lunch gap
    [
      'Thursday 16:30 waits for Friday 10:00',
      STANDARD,
      sh('2026-03-12 16:30'),
      wait(sh('2026-03-13 10:00'), OUTSIDE),
    ],
    [
      'before the first window',
      STANDARD,
      sh('2026-03-11 09:59:59.999'),
      wait(sh('2026-03-11 10:00'), OUTSIDE),
    ],
    [
      'a window opens at its start, inclusive',
      STANDARD,
      sh('2026-03-11 10:00'),
      open(sh('2026-03-11 12:00')),
    ],
    ['inside the morning window', STANDARD, sh('2026-03-11 11:59:59.999'), open(sh('2026-03-11 12:00'))],
    [
      'the lunch gap starts at 12:00, exclusive end',
      STANDARD,
      sh('2026-03-11 12:00'),
      wait(sh('2026-03-11 14:00'), OUTSIDE),
    ],
    ['inside the lunch gap', STANDARD, sh('2026-03-11 13:00'), wait(sh('2026-03-11 14:00'), OUTSIDE)],
    ['inside the afternoon window', STANDARD, sh('2026-03-11 15:59:59.999'), open(sh('2026-03-11 16:00'))],
    ['after the last window', STANDARD, sh('2026-03-11 16:00'), wait(sh('2026-03-12 10:00'), OUTSIDE)],
    [
      'a Saturday',
      STANDARD,
      sh('2026-03-14 11:00'),
      wait(sh('2026-03-16 10:00'), 'Saturday is not a working day'),
    ],
    // Friday afternoon
    [
      'Friday morning is open until 12:00',
      STANDARD,
      sh('2026-03-13 11:59:59.999'),
      open(sh('2026-03-13 12:00')),
    ],
    [
      'Friday 12:30 waits for Monday 10:00',
      STANDARD,
      sh('2026-03-13 12:30'),
      wait(sh('2026-03-16 10:00'), 'Friday afternoon is avoided'),
    ],
    [
      'Friday 14:30, in what would be a window',
      STANDARD,
      sh('2026-03-13 14:30'),
      wait(sh('2026-03-16 10:00'), 'Friday afternoon is avoided'),
    ],
    // Holidays, the avoided day before them, make-up working days
    [
      'a Monday holiday (Tomb-sweeping Day)',
      STANDARD,
      sh('2026-04-06 10:30'),
      wait(sh('2026-04-07 10:00'), 'public holiday: Tomb-sweeping Day'),
    ],
    [
      'the last working day before Tomb-sweeping Day',
      STANDARD,
      sh('2026-04-03 10:30'),
      wait(sh('2026-04-07 10:00'), 'the last working day before Tomb-sweeping Day is avoided'),
    ],
    [
      'the last working day before National Day (no freeze configured)',
      NO_HOLIDAY_FREEZE,
      sh('2026-09-30 10:30'),
      wait(sh('2026-10-08 10:00'), 'the last working day before National Day is avoided'),
    ],
    [
      'the last working day before National Day (inside its freeze)',
      STANDARD,
      sh('2026-09-30 10:30'),
      wait(sh('2026-10-08 10:00'), NATIONAL_DAY_FREEZE),
    ],
    [
      'during National Day',
      STANDARD,
      sh('2026-10-03 10:30'),
      wait(sh('2026-10-08 10:00'), 'public holiday: National Day'),
    ],
    [
      'the make-up Saturday after National Day has windows',
      STANDARD,
      sh('2026-10-10 10:30'),
      open(sh('2026-10-10 12:00')),
    ],
    [
      'the make-up Saturday has its afternoon too (not a Friday)',
      STANDARD,
      sh('2026-10-10 12:30'),
      wait(sh('2026-10-10 14:00'), OUTSIDE),
    ],
    [
      'the Saturday before the make-up Sunday',
      STANDARD,
      sh('2026-09-19 10:30'),
      wait(sh('2026-09-20 10:00'), 'Saturday is not a working day'),
    ],
    [
      'the make-up Sunday before National Day',
      STANDARD,
      sh('2026-09-20 15:00'),
      open(sh('2026-09-20 16:00')),
    ],
    // A configured freeze, to the millisecond
    [
      '1 ms before a freeze: the window ends at the freeze',
      STANDARD,
      sh('2026-03-18 10:29:59.999'),
      open(sh('2026-03-18 10:30')),
    ],
    [
      'a freeze starts inclusive',
      STANDARD,
      sh('2026-03-18 10:30'),
      wait(sh('2026-03-18 15:00'), 'freeze: database maintenance'),
    ],
    [
      '1 ms before a freeze ends',
      STANDARD,
      sh('2026-03-18 14:59:59.999'),
      wait(sh('2026-03-18 15:00'), 'freeze: database maintenance'),
    ],
    ['a freeze ends exclusive', STANDARD, sh('2026-03-18 15:00'), open(sh('2026-03-18 16:00'))],
    // The computed freezes: from 00:00 seven days before the first day off to the end of the holiday
    [
      'the day before the National Day freeze is open',
      STANDARD,
      sh('2026-09-23 15:59:59.999'),
      open(sh('2026-09-23 16:00')),
    ],
    [
      '1 ms before the National Day freeze',
      STANDARD,
      sh('2026-09-23 23:59:59.999'),
      wait(sh('2026-10-08 10:00'), OUTSIDE),
    ],
    [
      'the National Day freeze starts 2026-09-24 00:00',
      STANDARD,
      sh('2026-09-24 00:00'),
      wait(sh('2026-10-08 10:00'), NATIONAL_DAY_FREEZE),
    ],
    [
      'the Friday before the Spring Festival freeze is open',
      STANDARD,
      sh('2026-02-06 11:00'),
      open(sh('2026-02-06 12:00')),
    ],
    [
      '1 ms before the Spring Festival freeze (a Saturday)',
      STANDARD,
      sh('2026-02-07 23:59:59.999'),
      wait(sh('2026-02-24 10:00'), 'Saturday is not a working day'),
    ],
    [
      'the Spring Festival freeze starts 2026-02-08 00:00',
      STANDARD,
      sh('2026-02-08 00:00'),
      wait(sh('2026-02-24 10:00'), SPRING_FESTIVAL_FREEZE),
    ],
    [
      'the make-up Saturday inside the Spring Festival freeze',
      STANDARD,
      sh('2026-02-14 10:30'),
      wait(sh('2026-02-24 10:00'), SPRING_FESTIVAL_FREEZE),
    ],
    // Forbidden business peaks, local and with an offset
    [
      "Singles' Day",
      STANDARD,
      sh('2026-11-11 10:30'),
      wait(sh('2026-11-12 10:00'), "business peak: Singles' Day"),
    ],
    ['1 ms before a peak', STANDARD, sh('2026-11-12 10:29:59.999'), open(sh('2026-11-12 10:30'))],
    [
      'a peak given as instants',
      STANDARD,
      sh('2026-11-12 10:30'),
      wait(sh('2026-11-12 11:00'), 'business peak: flash sale'),
    ],
    // Data extended in config
    ['2027 once config extends the data', EXTENDED, sh('2027-03-10 10:30'), open(sh('2027-03-10 12:00'))],
    [
      'National Day 2027 added in config',
      EXTENDED,
      sh('2027-10-04 10:30'),
      wait(sh('2027-10-08 10:00'), 'public holiday: National Day'),
    ],
    // DST in Europe/Berlin: a window edge at 02:30 local
    [
      'spring forward: 01:30 CET waits for the first instant after 02:30, 03:00 CEST',
      BERLIN,
      new Date('2026-03-29T00:30:00Z'),
      wait(new Date('2026-03-29T01:00:00Z'), 'outside the release windows (02:30–04:00 on working days)'),
    ],
    [
      'spring forward: open from 03:00 CEST to 04:00 CEST',
      BERLIN,
      new Date('2026-03-29T01:00:00Z'),
      open(new Date('2026-03-29T02:00:00Z')),
    ],
    [
      'spring forward: a window ending at 02:30 ends at 03:00 CEST',
      BERLIN_EARLY,
      new Date('2026-03-29T00:59:59.999Z'),
      open(new Date('2026-03-29T01:00:00Z')),
    ],
    [
      'fall back: 02:29:59.999 CEST waits for the first 02:30',
      BERLIN,
      new Date('2026-10-25T00:29:59.999Z'),
      wait(new Date('2026-10-25T00:30:00Z'), 'outside the release windows (02:30–04:00 on working days)'),
    ],
    [
      'fall back: the first 02:30 (CEST) opens until 04:00 CET',
      BERLIN,
      new Date('2026-10-25T00:30:00Z'),
      open(new Date('2026-10-25T03:00:00Z')),
    ],
    [
      'fall back: the second 02:30 (CET) is inside the window',
      BERLIN,
      new Date('2026-10-25T01:30:00Z'),
      open(new Date('2026-10-25T03:00:00Z')),
    ],
    [
      'a plain Berlin Saturday waits for the working Sunday',
      BERLIN,
      new Date('2026-03-28T12:00:00Z'),
      wait(new Date('2026-03-29T01:00:00Z'), 'Saturday is not a working day'),
    ],
  ])('%s', (_name, calendar, at, expected) => {
    expect(nextAllowedMoment(calendar, at)).toEqual(expected);
  });

  it.each<[string, Date]>([
    ['a year past the data', sh('2027-03-10 10:30')],
    ['the days the next New Year arrangement may still change', sh('2026-12-29 10:30')],
    // A day's answer looks ahead: the National-Day-style freeze would start within 7 days.
    ['a week before the end of the data', sh('2026-12-22 10:30')],
  ])('refuses to guess: %s', (_name, at) => {
    const error = catchError(() => nextAllowedMoment(STANDARD, at));
    expect(error).toBeInstanceOf(CalendarDataExhausted);
    expect((error as CalendarDataExhausted).dataUntil).toBe('2026-12-28');
    expect((error as Error).message).toContain('config/calendar.yml');
  });

  it('answers up to the look-ahead before the end of the data', () => {
    expect(nextAllowedMoment(STANDARD, sh('2026-12-21 10:30'))).toEqual(open(sh('2026-12-21 12:00')));
  });

  it('hotfix: windows ignored, freezes still apply', () => {
    const hotfix: WindowPolicy = { windows: false, freezes: true };
    expect(nextAllowedMoment(STANDARD, sh('2026-03-14 03:00'), hotfix)).toEqual(open(sh('2026-03-18 10:30')));
    expect(nextAllowedMoment(STANDARD, sh('2026-03-18 12:00'), hotfix)).toEqual(
      wait(sh('2026-03-18 15:00'), 'freeze: database maintenance'),
    );
    expect(nextAllowedMoment(STANDARD, sh('2026-10-03 03:00'), hotfix)).toEqual(
      wait(sh('2026-10-08 00:00'), NATIONAL_DAY_FREEZE),
    );
    // Open until the National Day freeze, found by looking past the maintenance freeze and peaks.
    expect(nextAllowedMoment(STANDARD, sh('2026-09-01 20:00'), hotfix)).toEqual(open(sh('2026-09-24 00:00')));
  });

  it('emergency: windows and freezes ignored, without needing the data', () => {
    const emergency: WindowPolicy = { windows: false, freezes: false };
    expect(nextAllowedMoment(STANDARD, sh('2026-10-03 03:00'), emergency)).toEqual({
      allowedNow: true,
      windowEnd: null,
    });
    expect(nextAllowedMoment(STANDARD, sh('2030-01-01 03:00'), emergency)).toEqual({
      allowedNow: true,
      windowEnd: null,
    });
  });
});

describe('windowsBetween', () => {
  const windows = (...pairs: [string, string][]) =>
    pairs.map(([start, end]) => ({ start: sh(start), end: sh(end) }));

  it('lists a plain week: working-day windows, Friday morning only, no weekend', () => {
    const answer = windowsBetween(STANDARD, sh('2026-03-09 00:00'), sh('2026-03-16 00:00'));
    expect(answer.windows).toEqual(
      windows(
        ['2026-03-09 10:00', '2026-03-09 12:00'],
        ['2026-03-09 14:00', '2026-03-09 16:00'],
        ['2026-03-10 10:00', '2026-03-10 12:00'],
        ['2026-03-10 14:00', '2026-03-10 16:00'],
        ['2026-03-11 10:00', '2026-03-11 12:00'],
        ['2026-03-11 14:00', '2026-03-11 16:00'],
        ['2026-03-12 10:00', '2026-03-12 12:00'],
        ['2026-03-12 14:00', '2026-03-12 16:00'],
        ['2026-03-13 10:00', '2026-03-13 12:00'],
      ),
    );
    expect(answer.freezes).toEqual([]);
    expectOrderedWithin(answer.windows, sh('2026-03-09 00:00'), sh('2026-03-16 00:00'));
  });

  it('clips the windows to [from, to)', () => {
    const answer = windowsBetween(STANDARD, sh('2026-03-11 11:00'), sh('2026-03-12 15:00'));
    expect(answer.windows).toEqual(
      windows(
        ['2026-03-11 11:00', '2026-03-11 12:00'],
        ['2026-03-11 14:00', '2026-03-11 16:00'],
        ['2026-03-12 10:00', '2026-03-12 12:00'],
        ['2026-03-12 14:00', '2026-03-12 15:00'],
      ),
    );
  });

  it('cuts a configured freeze out and lists it clipped, with its reason', () => {
    const answer = windowsBetween(STANDARD, sh('2026-03-18 12:00'), sh('2026-03-19 00:00'));
    expect(answer.windows).toEqual(windows(['2026-03-18 15:00', '2026-03-18 16:00']));
    expect(answer.freezes).toEqual([
      {
        start: sh('2026-03-18 12:00'),
        end: sh('2026-03-18 15:00'),
        reason: 'database maintenance',
        kind: 'freeze',
      },
    ]);
  });

  it('cuts forbidden peaks out and lists them in order', () => {
    const answer = windowsBetween(STANDARD, sh('2026-11-10 00:00'), sh('2026-11-13 00:00'));
    expect(answer.windows).toEqual(
      windows(
        ['2026-11-10 10:00', '2026-11-10 12:00'],
        ['2026-11-10 14:00', '2026-11-10 16:00'],
        ['2026-11-12 10:00', '2026-11-12 10:30'],
        ['2026-11-12 11:00', '2026-11-12 12:00'],
        ['2026-11-12 14:00', '2026-11-12 16:00'],
      ),
    );
    expect(answer.freezes).toEqual([
      { start: sh('2026-11-11 00:00'), end: sh('2026-11-12 00:00'), reason: "Singles' Day", kind: 'peak' },
      { start: sh('2026-11-12 10:30'), end: sh('2026-11-12 11:00'), reason: 'flash sale', kind: 'peak' },
    ]);
  });

  it('around National Day: the computed freeze, the Friday after it and the make-up Saturday', () => {
    const from = sh('2026-09-21 00:00');
    const to = sh('2026-10-12 00:00');
    const answer = windowsBetween(STANDARD, from, to);
    expect(answer.windows).toEqual(
      windows(
        ['2026-09-21 10:00', '2026-09-21 12:00'],
        ['2026-09-21 14:00', '2026-09-21 16:00'],
        ['2026-09-22 10:00', '2026-09-22 12:00'],
        ['2026-09-22 14:00', '2026-09-22 16:00'],
        ['2026-09-23 10:00', '2026-09-23 12:00'],
        ['2026-09-23 14:00', '2026-09-23 16:00'],
        ['2026-10-08 10:00', '2026-10-08 12:00'],
        ['2026-10-08 14:00', '2026-10-08 16:00'],
        ['2026-10-09 10:00', '2026-10-09 12:00'],
        ['2026-10-10 10:00', '2026-10-10 12:00'],
        ['2026-10-10 14:00', '2026-10-10 16:00'],
      ),
    );
    expect(answer.freezes).toEqual([
      {
        start: sh('2026-09-24 00:00'),
        end: sh('2026-10-08 00:00'),
        reason: 'National Day holiday 2026-10-01 to 2026-10-07 and the 7 days before',
        kind: 'holiday-freeze',
      },
    ]);
    expectOrderedWithin(answer.windows, from, to);
  });

  it('lists every blocked period that overlaps, even overlapping each other', () => {
    const calendar = shanghai({
      freezes: [{ start: '2026-09-28', end: '2026-10-09T12:00', reason: 'platform migration' }],
    });
    const answer = windowsBetween(calendar, sh('2026-09-26 00:00'), sh('2026-10-10 00:00'));
    expect(answer.freezes.map(({ start, end, kind }) => [start, end, kind])).toEqual([
      [sh('2026-09-26 00:00'), sh('2026-10-08 00:00'), 'holiday-freeze'],
      [sh('2026-09-28 00:00'), sh('2026-10-09 12:00'), 'freeze'],
    ]);
    expect(answer.windows).toEqual([]); // 10-09 is a Friday: its morning is frozen, its afternoon avoided
  });

  it('the DST days in Berlin: a skipped and a repeated 02:30', () => {
    expect(
      windowsBetween(BERLIN, new Date('2026-03-28T00:00:00Z'), new Date('2026-03-30T00:00:00Z')).windows,
    ).toEqual([
      { start: new Date('2026-03-29T01:00:00Z'), end: new Date('2026-03-29T02:00:00Z') }, // 03:00–04:00 CEST
    ]);
    expect(
      windowsBetween(BERLIN, new Date('2026-10-24T00:00:00Z'), new Date('2026-10-26T00:00:00Z')).windows,
    ).toEqual([
      { start: new Date('2026-10-25T00:30:00Z'), end: new Date('2026-10-25T03:00:00Z') }, // 02:30 CEST–04:00 CET
    ]);
    // Up to Monday 00:00 local (CEST in spring, CET in autumn), where the next windows begin.
    expect(
      windowsBetween(BERLIN_EARLY, new Date('2026-03-28T00:00:00Z'), new Date('2026-03-29T22:00:00Z'))
        .windows,
    ).toEqual([
      { start: new Date('2026-03-28T23:00:00Z'), end: new Date('2026-03-29T01:00:00Z') }, // 00:00 CET–03:00 CEST
    ]);
    expect(
      windowsBetween(BERLIN_EARLY, new Date('2026-10-24T00:00:00Z'), new Date('2026-10-25T23:00:00Z'))
        .windows,
    ).toEqual([
      { start: new Date('2026-10-24T22:00:00Z'), end: new Date('2026-10-25T00:30:00Z') }, // 00:00–02:30 CEST
    ]);
  });

  it('policies: a hotfix is blocked by freezes only, an emergency by nothing', () => {
    const from = sh('2026-09-21 00:00');
    const to = sh('2026-10-12 00:00');
    const hotfix = windowsBetween(STANDARD, from, to, { windows: false, freezes: true });
    expect(hotfix.windows).toEqual(
      windows(['2026-09-21 00:00', '2026-09-24 00:00'], ['2026-10-08 00:00', '2026-10-12 00:00']),
    );
    expect(hotfix.freezes).toHaveLength(1);
    expect(windowsBetween(STANDARD, from, to, { windows: false, freezes: false })).toEqual({
      windows: [{ start: from, end: to }],
      freezes: [],
    });
  });

  it('an empty range has no windows; a reversed one is a programming error', () => {
    expect(windowsBetween(STANDARD, sh('2026-03-11 11:00'), sh('2026-03-11 11:00'))).toEqual({
      windows: [],
      freezes: [],
    });
    expect(() => windowsBetween(STANDARD, sh('2026-03-11 11:00'), sh('2026-03-11 10:00'))).toThrow(
      RangeError,
    );
  });

  it('refuses a range past the data, saying until when it has data and how to extend it', () => {
    const error = catchError(() => windowsBetween(STANDARD, sh('2026-12-01 00:00'), sh('2027-01-15 00:00')));
    expect(error).toBeInstanceOf(CalendarDataExhausted);
    expect(error).toMatchObject({ country: 'CN', dataUntil: '2026-12-28' });
    expect((error as Error).message).toMatch(/until 2026-12-28/);
    expect((error as Error).message).toMatch(/holidays\.dataUntil/);
    // The same range answers once config extends the data.
    expect(
      windowsBetween(EXTENDED, sh('2026-12-01 00:00'), sh('2027-01-15 00:00')).windows.length,
    ).toBeGreaterThan(0);
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

function expectOrderedWithin(spans: { start: Date; end: Date }[], from: Date, to: Date): void {
  spans.forEach((span, index) => {
    expect(span.start.getTime()).toBeLessThan(span.end.getTime());
    expect(span.start.getTime()).toBeGreaterThanOrEqual(from.getTime());
    expect(span.end.getTime()).toBeLessThanOrEqual(to.getTime());
    const previous = spans[index - 1];
    if (previous) expect(previous.end.getTime()).toBeLessThan(span.start.getTime());
  });
}
