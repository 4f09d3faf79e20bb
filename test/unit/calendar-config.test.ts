// config/calendar.yml and the holiday data behind it: a bad file names the file, the path and what
// was expected; the Chinese 2026 schedule is what the State Council published; the data knows where
// it ends, and config can correct and extend it (R-WINDOW-3, R-WINDOW-4).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import chineseDays from 'chinese-days';
import chineseDaysData from 'chinese-days/dist/chinese-days.json' with { type: 'json' };
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CALENDAR_FILE, loadCalendarConfig } from '../../calendar/calendar-schema.js';
import { CalendarDataExhausted, HolidayCalendar } from '../../calendar/holiday-calendar.js';
import { ConfigError } from '../../config/config-error.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runway-calendar-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function calendarFile(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

async function configError(file: string): Promise<ConfigError> {
  const error = await loadCalendarConfig(file).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('config/calendar.yml', () => {
  it('the shipped file validates, with the defaults of R-WINDOW-1..3', async () => {
    const config = await loadCalendarConfig(DEFAULT_CALENDAR_FILE);
    expect(config).toEqual({
      country: 'CN',
      windows: {
        default: [
          { start: '10:00', end: '12:00' },
          { start: '14:00', end: '16:00' },
        ],
      },
      avoid: { fridayAfternoon: true, lastWorkingDayBeforeHoliday: true },
      peaks: [],
      freezes: [],
      majorHolidays: { names: ['Spring Festival', 'National Day'], daysBefore: 7 },
      holidays: { add: [], workdays: [], dataUntil: null },
    });
  });

  it('an empty file means the defaults', async () => {
    const config = await loadCalendarConfig(await calendarFile('empty.yml', '{}\n'));
    expect(config.majorHolidays.daysBefore).toBe(7);
    expect(config.windows.default).toHaveLength(2);
  });

  it('reads peaks and freezes in local time, as dates, and as instants with an offset', async () => {
    const config = await loadCalendarConfig(
      await calendarFile(
        'periods.yml',
        [
          'peaks:',
          '  - { start: "2026-11-11T00:00", end: "2026-11-12T00:00", reason: "Singles\' Day" }',
          'freezes:',
          '  - { start: "2026-12-01", end: "2026-12-03", reason: "year-end audit" }',
          '  - { start: "2026-06-01T22:00:00+08:00", end: "2026-06-01T16:00:00Z", reason: "network maintenance" }',
        ].join('\n'),
      ),
    );
    expect(config.peaks).toHaveLength(1);
    expect(config.freezes.map((freeze) => freeze.reason)).toEqual(['year-end audit', 'network maintenance']);
  });

  it.each<[string, string, string, RegExp]>([
    [
      'a window that ends before it starts',
      'windows:\n  default: [{ start: "14:00", end: "12:00" }]\n',
      'windows.default.0.end',
      /end after start/,
    ],
    [
      'an hour that does not exist',
      'windows:\n  default: [{ start: "25:00", end: "26:00" }]\n',
      'windows.default.0.start',
      /HH:MM/,
    ],
    [
      'overlapping windows',
      'windows:\n  default: [{ start: "10:00", end: "12:00" }, { start: "11:00", end: "13:00" }]\n',
      'windows.default.1.start',
      /without overlap/,
    ],
    ['an unknown weekday', 'windows:\n  default: []\n  friyay: []\n', 'windows', /friyay/],
    [
      'a freeze with a date that does not exist',
      'freezes: [{ start: "2026-02-30T10:00", end: "2026-03-01", reason: x }]\n',
      'freezes.0.start',
      /local date-time/,
    ],
    [
      'a freeze that ends before it starts',
      'freezes: [{ start: "2026-03-02", end: "2026-03-01", reason: x }]\n',
      'freezes.0.end',
      /end after start/,
    ],
    [
      'a peak without a reason',
      'peaks: [{ start: "2026-11-11", end: "2026-11-12" }]\n',
      'peaks.0.reason',
      /.+/,
    ],
    [
      'a misspelt major holiday',
      'majorHolidays: { names: ["National day"] }\n',
      'majorHolidays.names.0',
      /"National Day"/,
    ],
    ['a country without data', 'country: DE\n', 'country', /CN/],
    [
      'a day both off and worked',
      'holidays:\n  add: [{ date: "2027-01-01", name: "New Year\'s Day" }]\n  workdays: [{ date: "2027-01-01" }]\n',
      'holidays.workdays.0.date',
      /both/,
    ],
    [
      'a dataUntil that is not a date',
      'holidays: { dataUntil: "next year" }\n',
      'holidays.dataUntil',
      /YYYY-MM-DD/,
    ],
  ])('refuses %s, naming the file, the path and the expectation', async (_name, text, path, message) => {
    const file = await calendarFile('bad.yml', text);
    const error = await configError(file);
    expect(error.file).toBe(file);
    expect(error.problems).toContainEqual({ path, message: expect.stringMatching(message) });
    expect(error.message).toContain(file);
  });

  it('accepts a major holiday named in holidays.add', async () => {
    const config = await loadCalendarConfig(
      await calendarFile(
        'custom-holiday.yml',
        'holidays:\n  add: [{ date: "2026-11-20", name: "Company Day" }]\nmajorHolidays: { names: ["Company Day"] }\n',
      ),
    );
    expect(config.majorHolidays.names).toEqual(['Company Day']);
  });

  it('a missing file and a file that is not YAML are ConfigErrors too', async () => {
    expect((await configError(join(dir, 'missing.yml'))).problems[0]?.message).toMatch(/cannot read/);
    expect(
      (await configError(await calendarFile('broken.yml', 'windows: [\n'))).problems[0]?.message,
    ).toMatch(/not valid YAML/);
  });
});

describe('the Chinese holiday data', () => {
  const cn = new HolidayCalendar('CN');
  const daysOff = (from: string, to: string) => {
    const off: string[] = [];
    for (
      let day = new Date(`${from}T00:00:00Z`);
      day <= new Date(`${to}T00:00:00Z`);
      day.setUTCDate(day.getUTCDate() + 1)
    ) {
      const date = day.toISOString().slice(0, 10);
      if (!cn.isWorkingDay(date)) off.push(date);
    }
    return off;
  };

  it('has the 2026 schedule as the State Council published it, make-up working days included', () => {
    expect(daysOff('2026-09-18', '2026-10-12')).toEqual([
      '2026-09-19', // Saturday; Sunday 09-20 is worked
      '2026-09-25',
      '2026-09-26',
      '2026-09-27', // Mid-autumn Festival
      '2026-10-01',
      '2026-10-02',
      '2026-10-03',
      '2026-10-04',
      '2026-10-05',
      '2026-10-06',
      '2026-10-07', // National Day
      '2026-10-11', // Sunday; Saturday 10-10 is worked
    ]);
    expect(cn.day('2026-09-20')).toEqual({
      date: '2026-09-20',
      working: true,
      holiday: null,
      makeUpWorkday: true,
    });
    expect(cn.day('2026-10-10')).toEqual({
      date: '2026-10-10',
      working: true,
      holiday: null,
      makeUpWorkday: true,
    });
    expect(cn.day('2026-10-05')).toEqual({
      date: '2026-10-05',
      working: false,
      holiday: 'National Day',
      makeUpWorkday: false,
    });
    expect(daysOff('2026-02-13', '2026-03-01')).toEqual([
      '2026-02-15',
      '2026-02-16',
      '2026-02-17',
      '2026-02-18',
      '2026-02-19',
      '2026-02-20',
      '2026-02-21',
      '2026-02-22',
      '2026-02-23', // Spring Festival; 02-14 worked
      '2026-03-01', // Sunday; Saturday 02-28 is worked
    ]);
    expect(daysOff('2026-04-03', '2026-04-07')).toEqual(['2026-04-04', '2026-04-05', '2026-04-06']);
  });

  it('groups days off into holiday periods, an adjacent weekend included', () => {
    expect(cn.periodContaining('2026-10-03')).toEqual({
      firstDayOff: '2026-10-01',
      lastDayOff: '2026-10-07',
      names: ['National Day'],
    });
    expect(cn.periodContaining('2026-04-05')).toEqual({
      firstDayOff: '2026-04-04',
      lastDayOff: '2026-04-06',
      names: ['Tomb-sweeping Day'],
    });
    expect(cn.periodContaining('2026-03-14')).toBeUndefined(); // a plain weekend
    expect(cn.periodContaining('2026-03-16')).toBeUndefined(); // a working day
  });

  it('knows its data ends on 2026-12-28 and refuses later dates', () => {
    expect(cn.dataUntil).toBe('2026-12-28');
    expect(cn.isWorkingDay('2026-12-28')).toBe(true);
    expect(() => cn.day('2026-12-29')).toThrow(CalendarDataExhausted);
    expect(() => cn.day('2027-10-01')).toThrow(/until 2026-12-28.*config\/calendar\.yml/s);
  });

  it('why: the package has no schedule after 2026 and answers 2027 as if it had no holiday', () => {
    const years = Object.keys(chineseDaysData.holidays).map((date) => Number(date.slice(0, 4)));
    expect(Math.max(...years)).toBe(2026);
    expect(chineseDays.getDayDetail('2027-10-01').work).toBe(true);
    // A New Year arrangement has begun as early as 12-29 of the year before (2018-12-29 worked for
    // 2019), so the last days of 2026 may still change with the 2027 schedule.
    expect(chineseDaysData.workdays['2018-12-29']).toMatch(/^New Year's Day/);
    expect(chineseDaysData.holidays['2018-12-30']).toMatch(/^New Year's Day/);
  });

  it('config adds days off and make-up working days, and extends the data', () => {
    const corrected = new HolidayCalendar('CN', {
      add: [{ date: '2027-01-01', name: "New Year's Day" }],
      workdays: [{ date: '2026-10-07' }],
      dataUntil: '2027-01-31',
    });
    expect(corrected.dataUntil).toBe('2027-01-31');
    expect(corrected.day('2027-01-01')).toMatchObject({ working: false, holiday: "New Year's Day" });
    expect(corrected.day('2026-10-07')).toMatchObject({ working: true, makeUpWorkday: true });
    expect(corrected.periodContaining('2027-01-02')).toEqual({
      firstDayOff: '2027-01-01',
      lastDayOff: '2027-01-03',
      names: ["New Year's Day"],
    });
    expect(() => corrected.day('2027-02-01')).toThrow(CalendarDataExhausted);
  });

  it('config never shortens the data, and a calendar without a country has no end', () => {
    expect(new HolidayCalendar('CN', { add: [], workdays: [], dataUntil: '2025-12-31' }).dataUntil).toBe(
      '2026-12-28',
    );
    const none = new HolidayCalendar('none');
    expect(none.dataUntil).toBeNull();
    // a Saturday
    expect(none.day('2040-10-06')).toEqual({
      date: '2040-10-06',
      working: false,
      holiday: null,
      makeUpWorkday: false,
    });
    expect(none.isWorkingDay('2040-10-01')).toBe(true); // a Monday, National Day or not
  });
});
