// Which local dates are days off in an environment's country (R-WINDOW-4): weekends, unless the
// official schedule makes one a working day (调休 make-up day), and the official holidays with the
// days bridged to them. The data is the State Council's yearly schedule as packaged by chinese-days,
// corrected and extended by config/calendar.yml (holidays.add / workdays / dataUntil).
//
// The package has no schedule for a year before the State Council publishes it (each November for
// the next year), and its own functions then answer as if that year had no holiday at all
// (chinese-days 1.5.7: getDayDetail('2027-10-01').work === true). So the calendar knows where its
// data ends (dataUntil) and refuses to answer past it: a day it cannot vouch for throws
// CalendarDataExhausted, which callers report instead of guessing.

// The package's raw data: the schedules of every year it knows, merged ('2026-10-01' -> 'National
// Day,国庆节,3'). Read directly rather than through its functions, which format dates in the
// process's own time zone.
import chineseDaysData from 'chinese-days/dist/chinese-days.json' with { type: 'json' };
import chineseDaysPackage from 'chinese-days/package.json' with { type: 'json' };
import { addDays, type LocalDate, weekdayOf } from './local-date.js';

export const COUNTRIES = ['CN', 'none'] as const;
/** Whose official holidays apply; 'none' means weekends only (days off can still be added in config). */
export type Country = (typeof COUNTRIES)[number];

/** Config's corrections to the official data (config/calendar.yml, holidays). */
export interface HolidayCorrections {
  /** Extra days off, each with the holiday it belongs to. */
  add: { date: LocalDate; name: string }[];
  /** Days that are working days whatever the data says (make-up working days). */
  workdays: { date: LocalDate; name?: string | undefined }[];
  /** Trust the data (with these corrections) up to this date, when it is later than the package's. */
  dataUntil: LocalDate | null;
}

export const NO_CORRECTIONS: HolidayCorrections = { add: [], workdays: [], dataUntil: null };

export interface CalendarDay {
  date: LocalDate;
  working: boolean;
  /** The holiday this day off belongs to; null on a working day and on a plain weekend day. */
  holiday: string | null;
  /** A day the schedule declares a working day although it would be off (a make-up working day). */
  makeUpWorkday: boolean;
}

/** A run of consecutive days off that contains at least one holiday (a weekend next to it included). */
export interface HolidayPeriod {
  firstDayOff: LocalDate;
  lastDayOff: LocalDate;
  /** The holidays in it, in date order (two when, say, Mid-autumn and National Day are merged). */
  names: string[];
}

/** The question needs a date past the end of the calendar's data: it will not guess (R-WINDOW-4). */
export class CalendarDataExhausted extends Error {
  constructor(
    readonly country: Country,
    /** The last date the data is complete for. */
    readonly dataUntil: LocalDate,
    /** The date the answer needed. */
    readonly needed: LocalDate,
    source: string,
  ) {
    super(
      `The release calendar (${country}, ${source}) has holiday data until ${dataUntil}; this answer needs ` +
        `${needed}. Once the official schedule for that period is published, add its days off and make-up ` +
        'working days to config/calendar.yml (holidays.add, holidays.workdays) and set holidays.dataUntil ' +
        `to the last date they cover, or upgrade the holiday data package.`,
    );
    this.name = 'CalendarDataExhausted';
  }
}

interface OfficialSchedule {
  source: string;
  /** Days off, with the holiday's name. */
  holidays: ReadonlyMap<LocalDate, string>;
  /** Make-up working days, with the holiday they make up for. */
  workdays: ReadonlyMap<LocalDate, string>;
  /** The last date the schedule is complete for; null when it never ends (no official data). */
  dataUntil: LocalDate | null;
}

/** 'National Day,国庆节,3' -> 'National Day'. */
const englishName = (entry: string) => entry.split(',')[0] ?? entry;

/**
 * The Chinese schedule and where it ends. The last year the package knows is the latest year that
 * has a holiday dated in it (2026 in chinese-days 1.5.7, whose dist/years/ likewise ends at
 * 2026.json): each year's schedule has days off in spring, so a year with none is a year without
 * its schedule. That year is not complete to its last day, though: a New Year's arrangement
 * sometimes begins in the December before (2018-12-29 worked, 12-30 and 12-31 off, for 2019), and
 * the package files such days under the year they fall in once the next schedule is published. The
 * earliest December day any New Year's arrangement in the data has reached is the 29th, so the data
 * is complete until the 28th of December of its last year.
 */
function chineseSchedule(): OfficialSchedule {
  const holidays = new Map(Object.entries(chineseDaysData.holidays).map(([d, n]) => [d, englishName(n)]));
  const workdays = new Map(Object.entries(chineseDaysData.workdays).map(([d, n]) => [d, englishName(n)]));
  const lastYear = Math.max(...[...holidays.keys()].map((date) => Number(date.slice(0, 4))));
  const newYearDecemberDays = [...holidays, ...workdays]
    .filter(([date, name]) => date.slice(5, 7) === '12' && name === "New Year's Day")
    .map(([date]) => date.slice(5));
  const earliest = newYearDecemberDays.sort()[0] ?? '12-31';
  return {
    source: `chinese-days ${chineseDaysPackage.version}`,
    holidays,
    workdays,
    dataUntil: addDays(`${lastYear}-${earliest}`, -1),
  };
}

const SCHEDULES: Record<Country, () => OfficialSchedule> = {
  CN: chineseSchedule,
  none: () => ({ source: 'no official holidays', holidays: new Map(), workdays: new Map(), dataUntil: null }),
};

const loaded = new Map<Country, OfficialSchedule>();
function scheduleOf(country: Country): OfficialSchedule {
  let schedule = loaded.get(country);
  if (!schedule) {
    schedule = SCHEDULES[country]();
    loaded.set(country, schedule);
  }
  return schedule;
}

/** The names of the holidays in a country's official data, for checking majorHolidays in config. */
export function officialHolidayNames(country: Country): string[] {
  return [...new Set(scheduleOf(country).holidays.values())];
}

/** A run of days off never lasts this long; a scan that does has met a broken configuration. */
const LONGEST_PERIOD_DAYS = 366;

export class HolidayCalendar {
  readonly source: string;
  /** The last date the calendar answers for; null when it answers for any date. */
  readonly dataUntil: LocalDate | null;
  readonly #holidays: Map<LocalDate, string>;
  readonly #workdays: Set<LocalDate>;

  constructor(
    readonly country: Country,
    corrections: HolidayCorrections = NO_CORRECTIONS,
  ) {
    const schedule = scheduleOf(country);
    this.source = schedule.source;
    this.#holidays = new Map(schedule.holidays);
    this.#workdays = new Set(schedule.workdays.keys());
    for (const { date, name } of corrections.add) {
      this.#holidays.set(date, name);
      this.#workdays.delete(date);
    }
    for (const { date } of corrections.workdays) {
      this.#workdays.add(date);
      this.#holidays.delete(date);
    }
    // Config extends the data, never shortens it: a newer package must not be held back by an old line.
    const extended = corrections.dataUntil;
    this.dataUntil =
      schedule.dataUntil !== null && extended !== null && extended > schedule.dataUntil
        ? extended
        : schedule.dataUntil;
  }

  /** Throws CalendarDataExhausted when the date is past the data. */
  assertKnown(date: LocalDate): void {
    if (this.dataUntil !== null && date > this.dataUntil) {
      throw new CalendarDataExhausted(this.country, this.dataUntil, date, this.source);
    }
  }

  day(date: LocalDate): CalendarDay {
    this.assertKnown(date);
    if (this.#workdays.has(date)) return { date, working: true, holiday: null, makeUpWorkday: true };
    const holiday = this.#holidays.get(date);
    if (holiday !== undefined) return { date, working: false, holiday, makeUpWorkday: false };
    const weekday = weekdayOf(date);
    return {
      date,
      working: weekday !== 'saturday' && weekday !== 'sunday',
      holiday: null,
      makeUpWorkday: false,
    };
  }

  isWorkingDay(date: LocalDate): boolean {
    return this.day(date).working;
  }

  /** The holiday period a day off belongs to; undefined on a working day or a plain weekend. */
  periodContaining(date: LocalDate): HolidayPeriod | undefined {
    if (this.isWorkingDay(date)) return undefined;
    let first = date;
    let last = date;
    for (let steps = 0; !this.isWorkingDay(addDays(first, -1)); steps++) {
      if (steps > LONGEST_PERIOD_DAYS) throw new Error(`no working day within a year before ${date}`);
      first = addDays(first, -1);
    }
    for (let steps = 0; !this.isWorkingDay(addDays(last, 1)); steps++) {
      if (steps > LONGEST_PERIOD_DAYS) throw new Error(`no working day within a year after ${date}`);
      last = addDays(last, 1);
    }
    const names: string[] = [];
    for (let day = first; day <= last; day = addDays(day, 1)) {
      const holiday = this.#holidays.get(day);
      if (holiday !== undefined && !names.includes(holiday)) names.push(holiday);
    }
    return names.length > 0 ? { firstDayOff: first, lastDayOff: last, names } : undefined;
  }
}
