// Local wall time <-> UTC instant for an IANA time zone, with Intl.DateTimeFormat (the time-zone
// database Node ships). The only module in calendar/ that knows about zones, so the DST rules below
// hold everywhere: every window edge, freeze and peak given in local time goes through instantOf.
//
// Wall times that do not exist or exist twice (DST) follow one rule, chosen so that no window ever
// grows past what its configuration says and an edge is never skipped silently:
// - a local time that does not exist (spring forward, 02:30 in Berlin on 2026-03-29) means the first
//   instant that exists after it: the moment the clocks jump (03:00 local);
// - a local time that exists twice (fall back, 02:30 in Berlin on 2026-10-25) means its first
//   occurrence (02:30 summer time).
import { dayNumber, type LocalDate } from './local-date.js';

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Throws a message naming the zone when it is not an IANA time zone this Node knows. */
export function assertTimeZone(timeZone: string): void {
  try {
    formatterFor(timeZone);
  } catch {
    throw new RangeError(`unknown time zone "${timeZone}" (expected an IANA name such as Asia/Shanghai)`);
  }
}

/** The wall clock at an instant, as milliseconds since 1970-01-01T00:00 of that wall clock. */
function wallMsAt(instant: number, timeZone: string): number {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const wholeSeconds = Date.UTC(
    fields.year ?? 0,
    (fields.month ?? 1) - 1,
    fields.day ?? 1,
    fields.hour ?? 0,
    fields.minute ?? 0,
    fields.second ?? 0,
  );
  // Intl drops the milliseconds; zone offsets are whole seconds, so they carry over unchanged.
  return wholeSeconds + (((instant % 1000) + 1000) % 1000);
}

/** How far the zone's wall clock is ahead of UTC at an instant, in milliseconds. */
function offsetAt(instant: number, timeZone: string): number {
  return wallMsAt(instant, timeZone) - instant;
}

/** The local date and the time of day (ms since local midnight) at an instant. */
export function wallClockAt(instant: number, timeZone: string): { date: LocalDate; msOfDay: number } {
  const wall = wallMsAt(instant, timeZone);
  const msOfDay = ((wall % DAY_MS) + DAY_MS) % DAY_MS;
  return { date: new Date(wall - msOfDay).toISOString().slice(0, 10), msOfDay };
}

export function localDateAt(instant: number, timeZone: string): LocalDate {
  return wallClockAt(instant, timeZone).date;
}

/**
 * The instant at which the wall clock of `timeZone` shows `msOfDay` on `date` (msOfDay may be a
 * full day: 24:00 is the next day's 00:00). See the file comment for times DST skips or repeats.
 */
export function instantOf(date: LocalDate, msOfDay: number, timeZone: string): number {
  const wall = dayNumber(date) + msOfDay;
  // A zone changes its offset at most once in a day in practice, so the offsets a day before and a
  // day after are the only candidates.
  const before = offsetAt(wall - DAY_MS, timeZone);
  const after = offsetAt(wall + DAY_MS, timeZone);
  const existing = [wall - before, wall - after].filter(
    (instant) => offsetAt(instant, timeZone) === wall - instant,
  );
  if (existing.length > 0) return Math.min(...existing);
  // The wall time falls in a gap: the clocks jumped over it. Find the jump, to the millisecond.
  let notYet = Math.min(wall - before, wall - after);
  let jumped = Math.max(wall - before, wall - after);
  while (jumped - notYet > 1) {
    const middle = Math.floor((notYet + jumped) / 2);
    if (offsetAt(middle, timeZone) === after) jumped = middle;
    else notYet = middle;
  }
  return jumped;
}

/** The first instant of a local date (its 00:00, or the first instant after it if DST skips it). */
export function startOfDay(date: LocalDate, timeZone: string): number {
  return instantOf(date, 0, timeZone);
}
