// Calendar dates as an environment's people read them ('2026-10-01'), with the arithmetic the
// release calendar needs. A local date names a day, not an instant: which instants it covers depends
// on the time zone (calendar/time-zone.ts), so nothing here knows about zones or clocks.

/** A calendar date in an environment's time zone, written 'YYYY-MM-DD'. */
export type LocalDate = string;

export const WEEKDAYS = [
  'sunday',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const DAY_MS = 86_400_000;
const LOCAL_DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Midnight UTC of the date: a day number to compute with, never an instant to act on. */
export function dayNumber(date: LocalDate): number {
  const match = LOCAL_DATE_PATTERN.exec(date);
  if (!match) throw new Error(`not a local date (YYYY-MM-DD): "${date}"`);
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
}

function fromDayNumber(utcMidnight: number): LocalDate {
  return new Date(utcMidnight).toISOString().slice(0, 10);
}

/** True for 'YYYY-MM-DD' naming a day that exists (no 2026-02-30). */
export function isLocalDate(text: string): boolean {
  return LOCAL_DATE_PATTERN.test(text) && fromDayNumber(dayNumber(text)) === text;
}

export function addDays(date: LocalDate, days: number): LocalDate {
  return fromDayNumber(dayNumber(date) + days * DAY_MS);
}

export function weekdayOf(date: LocalDate): Weekday {
  return WEEKDAYS[new Date(dayNumber(date)).getUTCDay()] as Weekday;
}

/** Days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: LocalDate, to: LocalDate): number {
  return Math.round((dayNumber(to) - dayNumber(from)) / DAY_MS);
}
