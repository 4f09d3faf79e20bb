// When a release may reach production (R-WINDOW-1..4): the allowed windows of an environment's
// calendar between two instants, and the next allowed moment after one. Pure and deterministic:
// nothing here reads the clock or a file; callers pass the instants, the validated configuration and
// the environment's time zone, so a workflow, an activity and a test get the same answer.
//
// An answer about a day can depend on the days after it: the last working day before a holiday is
// avoided, and a major holiday freezes the days before it. So a question near the end of the holiday
// data throws CalendarDataExhausted as soon as it needs a day past the data, never guessing (R-WINDOW-4).
import { type CalendarConfig, minutesOf, parseMoment, type WindowConfig } from './calendar-schema.js';
import { CalendarDataExhausted, HolidayCalendar, type HolidayPeriod } from './holiday-calendar.js';
import { addDays, type LocalDate, type Weekday, weekdayOf } from './local-date.js';
import { assertTimeZone, instantOf, localDateAt, startOfDay, wallClockAt } from './time-zone.js';

/** Which rules a release obeys: regular both, hotfix freezes only, emergency none (SPEC 2). */
export interface WindowPolicy {
  /** Release windows, days off and avoided periods (Friday afternoon, the day before a holiday). */
  windows: boolean;
  /** Freezes: configured ones, the computed major-holiday freezes and forbidden business peaks. */
  freezes: boolean;
}
export const ALL_RULES: WindowPolicy = { windows: true, freezes: true };

export interface ReleaseWindow {
  start: Date;
  end: Date;
}

/** freeze: configured; peak: a forbidden business peak; holiday-freeze: computed before a major holiday. */
export type BlockedPeriodKind = 'freeze' | 'peak' | 'holiday-freeze';
export interface BlockedPeriod {
  start: Date;
  end: Date;
  reason: string;
  kind: BlockedPeriodKind;
}

interface Span {
  start: number;
  end: number;
}
interface Block extends Span {
  reason: string;
  kind: BlockedPeriodKind;
}

/** An environment's calendar: its configuration, its holiday data and its time zone. */
export interface ReleaseCalendar {
  readonly config: CalendarConfig;
  readonly timeZone: string;
  readonly holidays: HolidayCalendar;
  /** The configured freezes and peaks, resolved to instants in this time zone. */
  readonly configuredBlocks: readonly Block[];
}

const HOUR_MS = 3_600_000;
const FRIDAY_AFTERNOON_FROM_MS = 12 * HOUR_MS;
/** How far nextAllowedMoment looks: beyond a year, the configuration leaves no window at all. */
const SEARCH_DAYS = 400;

export function releaseCalendar(
  config: CalendarConfig,
  timeZone: string,
  holidays: HolidayCalendar = new HolidayCalendar(config.country, config.holidays),
): ReleaseCalendar {
  assertTimeZone(timeZone);
  const resolve = (moment: string): number => {
    const parsed = parseMoment(moment);
    if (!parsed)
      throw new Error(`not a local date-time or an instant: "${moment}" (validate the config first)`);
    return parsed.kind === 'instant' ? parsed.instant : instantOf(parsed.date, parsed.msOfDay, timeZone);
  };
  const resolveAll = (kind: 'freeze' | 'peak', list: CalendarConfig['freezes']): Block[] =>
    list.map((period, index) => {
      const block = { start: resolve(period.start), end: resolve(period.end), reason: period.reason, kind };
      if (block.end <= block.start) {
        throw new Error(
          `${kind === 'freeze' ? 'freezes' : 'peaks'}[${index}] ends before it starts in ${timeZone}`,
        );
      }
      return block;
    });
  return {
    config,
    timeZone,
    holidays,
    configuredBlocks: [...resolveAll('freeze', config.freezes), ...resolveAll('peak', config.peaks)],
  };
}

/**
 * The intervals in [from, to) in which a release may reach production, ascending, disjoint and not
 * touching, and the blocked periods (freezes, peaks) overlapping [from, to), clipped to it, ascending.
 * Freezes are listed only when the policy obeys them.
 */
export function windowsBetween(
  calendar: ReleaseCalendar,
  from: Date,
  to: Date,
  policy: WindowPolicy = ALL_RULES,
): { windows: ReleaseWindow[]; freezes: BlockedPeriod[] } {
  const start = instantMs(from, 'from');
  const end = instantMs(to, 'to');
  if (end < start) throw new RangeError(`to (${to.toISOString()}) is before from (${from.toISOString()})`);
  const { windows, blocks } = allowedSpans(calendar, start, end, policy);
  return {
    windows: windows.map((span) => ({ start: new Date(span.start), end: new Date(span.end) })),
    freezes: blocks.map((block) => ({ ...block, start: new Date(block.start), end: new Date(block.end) })),
  };
}

export type NextAllowedMoment =
  /** windowEnd: when the allowed period closes; null when nothing closes it (all rules ignored). */
  | { allowedNow: true; windowEnd: Date | null }
  /** at: the first instant a window opens; reason: why a release waits at the instant asked about. */
  | { allowedNow: false; at: Date; reason: string };

/**
 * Whether a release may reach production at `at`, and otherwise when it next may and why it waits.
 * When the allowed period runs past the holiday data, windowEnd is the last instant the data vouches for.
 */
export function nextAllowedMoment(
  calendar: ReleaseCalendar,
  at: Date,
  policy: WindowPolicy = ALL_RULES,
): NextAllowedMoment {
  const now = instantMs(at, 'at');
  if (!policy.windows && !policy.freezes) return { allowedNow: true, windowEnd: null };
  let date = localDateAt(now, calendar.timeZone);
  for (let day = 0; day < SEARCH_DAYS; day++, date = addDays(date, 1)) {
    const dayStart = Math.max(now, startOfDay(date, calendar.timeZone));
    const { windows } = allowedSpans(
      calendar,
      dayStart,
      startOfDay(addDays(date, 1), calendar.timeZone),
      policy,
    );
    const first = windows[0];
    if (!first) continue;
    if (first.start > now)
      return { allowedNow: false, at: new Date(first.start), reason: reasonAt(calendar, now, policy) };
    const windowEnd = allowedUntil(calendar, first.end, date, policy);
    return { allowedNow: true, windowEnd: windowEnd === null ? null : new Date(windowEnd) };
  }
  throw new Error(
    `no release window within ${SEARCH_DAYS} days after ${at.toISOString()}: check windows, peaks and freezes in the calendar`,
  );
}

function instantMs(date: Date, name: string): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new RangeError(`${name} is not a valid instant`);
  return ms;
}

/** Follows an allowed interval that reaches the end of its day into the next days. */
function allowedUntil(
  calendar: ReleaseCalendar,
  end: number,
  date: LocalDate,
  policy: WindowPolicy,
): number | null {
  let windowEnd = end;
  let day = date;
  for (let step = 0; step < SEARCH_DAYS; step++) {
    const next = addDays(day, 1);
    const nextStart = startOfDay(next, calendar.timeZone);
    if (windowEnd < nextStart) return windowEnd;
    let first: Span | undefined;
    try {
      first = allowedSpans(calendar, nextStart, startOfDay(addDays(next, 1), calendar.timeZone), policy)
        .windows[0];
    } catch (error) {
      if (error instanceof CalendarDataExhausted) return windowEnd;
      throw error;
    }
    if (!first || first.start > windowEnd) return windowEnd;
    windowEnd = first.end;
    day = next;
  }
  return null;
}

function allowedSpans(
  calendar: ReleaseCalendar,
  from: number,
  to: number,
  policy: WindowPolicy,
): { windows: Span[]; blocks: Block[] } {
  if (from >= to || (!policy.windows && !policy.freezes)) {
    return { windows: from < to ? [{ start: from, end: to }] : [], blocks: [] };
  }
  const first = localDateAt(from, calendar.timeZone);
  const last = localDateAt(to - 1, calendar.timeZone);
  let candidates: Span[] = [{ start: from, end: to }];
  if (policy.windows) {
    candidates = [];
    for (let date = first; date <= last; date = addDays(date, 1))
      candidates.push(...dayWindows(calendar, date));
  }
  const blocks = policy.freezes
    ? [...calendar.configuredBlocks, ...holidayFreezes(calendar, first, last)]
        .filter((block) => block.start < to && block.end > from)
        .map((block) => ({ ...block, start: Math.max(block.start, from), end: Math.min(block.end, to) }))
        .sort((a, b) => a.start - b.start || a.end - b.end)
    : [];
  const windows = merge(clip(subtract(candidates, blocks), from, to));
  return { windows, blocks };
}

/** The windows of one local date by the window rules alone (working day, weekday, avoided periods). */
function dayWindows(calendar: ReleaseCalendar, date: LocalDate): Span[] {
  const { config, timeZone } = calendar;
  if (!calendar.holidays.day(date).working) return [];
  if (config.avoid.lastWorkingDayBeforeHoliday && holidayPeriodAfter(calendar, date)) return [];
  const at = (time: string) => instantOf(date, minutesOf(time) * 60_000, timeZone);
  let spans = windowsOn(config, weekdayOf(date))
    .map((window) => ({ start: at(window.start), end: at(window.end) }))
    .filter((span) => span.start < span.end);
  if (config.avoid.fridayAfternoon && weekdayOf(date) === 'friday') {
    const afternoon = {
      start: instantOf(date, FRIDAY_AFTERNOON_FROM_MS, timeZone),
      end: startOfDay(addDays(date, 1), timeZone),
    };
    spans = subtract(spans, [afternoon]);
  }
  return spans;
}

function windowsOn(config: CalendarConfig, weekday: Weekday): WindowConfig[] {
  return config.windows[weekday] ?? config.windows.default;
}

/** The holiday period that begins the day after a working day, if one does. */
function holidayPeriodAfter(calendar: ReleaseCalendar, date: LocalDate): HolidayPeriod | undefined {
  return calendar.holidays.periodContaining(addDays(date, 1));
}

/** The computed freezes (majorHolidays) that touch local dates first..last. */
function holidayFreezes(calendar: ReleaseCalendar, first: LocalDate, last: LocalDate): Block[] {
  const { names, daysBefore } = calendar.config.majorHolidays;
  if (names.length === 0) return [];
  const { timeZone } = calendar;
  const blocks: Block[] = [];
  // A freeze touches the range when its holiday period overlaps it or begins within daysBefore after it.
  const horizon = addDays(last, daysBefore);
  for (let date = first; date <= horizon; date = addDays(date, 1)) {
    const period = calendar.holidays.periodContaining(date);
    if (!period) continue;
    if (period.names.some((name) => names.includes(name))) {
      blocks.push({
        start: startOfDay(addDays(period.firstDayOff, -daysBefore), timeZone),
        end: startOfDay(addDays(period.lastDayOff, 1), timeZone),
        reason: `${period.names.join(' and ')} holiday ${period.firstDayOff} to ${period.lastDayOff} and the ${plural(daysBefore, 'day')} before`,
        kind: 'holiday-freeze',
      });
    }
    date = period.lastDayOff;
  }
  return blocks;
}

/** Why a release cannot reach production at `instant`, most decisive rule first. */
function reasonAt(calendar: ReleaseCalendar, instant: number, policy: WindowPolicy): string {
  const { config, timeZone } = calendar;
  const { date, msOfDay } = wallClockAt(instant, timeZone);
  const blockIn = (blocks: readonly Block[], kind: BlockedPeriodKind) =>
    blocks.find((block) => block.kind === kind && block.start <= instant && instant < block.end);
  const freeze = policy.freezes ? blockIn(calendar.configuredBlocks, 'freeze') : undefined;
  if (freeze) return `freeze: ${freeze.reason}`;
  const peak = policy.freezes ? blockIn(calendar.configuredBlocks, 'peak') : undefined;
  if (peak) return `business peak: ${peak.reason}`;
  const day = policy.windows ? calendar.holidays.day(date) : undefined;
  if (day?.holiday) return `public holiday: ${day.holiday}`;
  const holidayFreeze = policy.freezes
    ? blockIn(holidayFreezes(calendar, date, date), 'holiday-freeze')
    : undefined;
  if (holidayFreeze) return `freeze: ${holidayFreeze.reason}`;
  if (!day)
    throw new Error(`no rule blocks ${new Date(instant).toISOString()}, yet it is outside every window`);
  const weekday = weekdayOf(date);
  if (!day.working) return `${capitalized(weekday)} is not a working day`;
  const period = config.avoid.lastWorkingDayBeforeHoliday ? holidayPeriodAfter(calendar, date) : undefined;
  if (period) return `the last working day before ${period.names.join(' and ')} is avoided`;
  if (config.avoid.fridayAfternoon && weekday === 'friday' && msOfDay >= FRIDAY_AFTERNOON_FROM_MS) {
    return 'Friday afternoon is avoided';
  }
  const windows = windowsOn(config, weekday);
  const on = config.windows[weekday] ? `${capitalized(weekday)}s` : 'working days';
  if (windows.length === 0) return `no release windows on ${on}`;
  return `outside the release windows (${windows.map((window) => `${window.start}–${window.end}`).join(', ')} on ${on})`;
}

function subtract(spans: Span[], cuts: readonly Span[]): Span[] {
  let result = spans;
  for (const cut of cuts) {
    result = result.flatMap((span) => {
      if (cut.end <= span.start || cut.start >= span.end) return [span];
      const pieces: Span[] = [];
      if (span.start < cut.start) pieces.push({ start: span.start, end: cut.start });
      if (cut.end < span.end) pieces.push({ start: cut.end, end: span.end });
      return pieces;
    });
  }
  return result;
}

function clip(spans: Span[], from: number, to: number): Span[] {
  return spans
    .map((span) => ({ start: Math.max(span.start, from), end: Math.min(span.end, to) }))
    .filter((span) => span.start < span.end);
}

/** Sorts and joins overlapping or touching spans, so a window never ends where the next begins. */
function merge(spans: Span[]): Span[] {
  const merged: Span[] = [];
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    const previous = merged.at(-1);
    if (previous && span.start <= previous.end) previous.end = Math.max(previous.end, span.end);
    else merged.push({ ...span });
  }
  return merged;
}

const capitalized = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
const plural = (count: number, noun: string) => (count === 1 ? `${noun}` : `${count} ${noun}s`);
