// The configured release calendars of every environment (R-WINDOW): config/calendar.yml with each
// environment's time zone. Every question looks at the file, so a freeze added while a release
// waits is seen when it wakes; a release never guesses past the holiday data. What was read from it
// is kept while the file stays the same (its inode, size and modification time): a question costs
// one stat, not a read, a YAML parse and a validation.

import type { WindowCalendar, WindowCheckRequest } from '../activities/calendar-activities.js';
import type { RunwayConfig } from '../config/config-schema.js';
import { fileStamp } from '../config/file-stamp.js';
import type { WindowCheck } from '../workflows/release-model.js';
import { type CalendarConfig, loadCalendarConfig } from './calendar-schema.js';
import { CalendarDataExhausted } from './holiday-calendar.js';
import {
  ALL_RULES,
  nextAllowedMoment,
  type ReleaseCalendar,
  releaseCalendar,
  windowsBetween,
} from './release-windows.js';

export interface CalendarView {
  environment: string;
  timeZone: string;
  /**
   * The effective end of the holiday data: the last instant a check can answer (ISO, UTC). Earlier
   * than the data's last date, since an answer about a day looks ahead (the day before a holiday, a
   * major holiday's freeze). Null for a calendar without holiday data.
   */
  holidayDataUntil: string | null;
  windows: { start: string; end: string }[];
  freezes: { start: string; end: string; reason: string }[];
}

/** What GET /api/v1/calendar asks (throws CalendarDataExhausted past the data). */
export interface CalendarSource {
  view(environment: string, from: Date, to: Date): Promise<CalendarView>;
}

/** An environment the configuration does not have. */
export class UnknownEnvironment extends Error {}

interface CalendarRead {
  stamp: string;
  config: Promise<CalendarConfig>;
  byTimeZone: Map<string, ReleaseCalendar>;
}

export class ReleaseCalendars implements WindowCalendar, CalendarSource {
  /** What the file said when it had this stamp, and each time zone's calendar made of it. */
  #read: CalendarRead | undefined;

  constructor(private readonly config: Pick<RunwayConfig, 'environments' | 'calendarFile'>) {}

  async calendarOf(environment: string): Promise<ReleaseCalendar> {
    const settings = this.config.environments[environment];
    if (!settings) throw new UnknownEnvironment(`no environment ${environment}`);
    const read = await this.#currentRead();
    const known = read.byTimeZone.get(settings.timeZone);
    if (known) return known;
    const calendar = releaseCalendar(await read.config, settings.timeZone);
    read.byTimeZone.set(settings.timeZone, calendar);
    return calendar;
  }

  /**
   * The file is read after its stamp is taken, so what is kept is at least as new as its stamp says.
   * A file that cannot be stamped (gone) is read anyway, to say why, and nothing is kept.
   */
  async #currentRead(): Promise<CalendarRead> {
    const stamp = await fileStamp(this.config.calendarFile);
    if (stamp !== undefined && this.#read?.stamp === stamp) return this.#read;
    const read = {
      stamp: stamp ?? '',
      config: loadCalendarConfig(this.config.calendarFile),
      byTimeZone: new Map(),
    };
    if (stamp !== undefined) this.#read = read;
    return read;
  }

  /** Whether a release may enter its window at `request.at`, else until when it waits and why. */
  async check(request: WindowCheckRequest): Promise<WindowCheck> {
    const calendar = await this.calendarOf(request.environment);
    try {
      const at = new Date(request.at);
      const answer = nextAllowedMoment(calendar, at, request.policy);
      if (!answer.allowedNow) return { kind: 'wait', until: answer.at.toISOString(), reason: answer.reason };
      const closes = answer.windowEnd;
      if (closes === null || closes.getTime() - at.getTime() >= request.minimumRemainingMs) {
        return { kind: 'open', windowEnd: closes?.toISOString() ?? null };
      }
      // Too little of this window is left to start a production deploy in it: wait for the next.
      const next = nextAllowedMoment(calendar, closes, request.policy);
      const until = next.allowedNow ? closes : next.at;
      return {
        kind: 'wait',
        until: until.toISOString(),
        reason: `the window closes at ${closes.toISOString()}, too soon to start`,
      };
    } catch (error) {
      if (!(error instanceof CalendarDataExhausted)) throw error;
      return { kind: 'unknown', reason: error.message };
    }
  }

  /**
   * The effective end of the holiday data over every environment: the last instant at which a check
   * of a regular release (windows and freezes) still answers, in the environment whose answers end
   * first. Null when no calendar has holiday data (weekends only: it never ends).
   */
  async effectiveUntil(): Promise<Date | null> {
    let earliest: Date | null = null;
    for (const environment of Object.keys(this.config.environments)) {
      const until = lastAnswerableInstant(await this.calendarOf(environment));
      if (until && (!earliest || until < earliest)) earliest = until;
    }
    return earliest;
  }

  /**
   * A warning when the holiday data's effective end is within `days` of `now` (R-WINDOW-4): past it
   * releases wait for an override or a calendar update, so whoever runs Runway hears it at every start.
   */
  async dataEndWarning(now: Date, days = 60): Promise<string | undefined> {
    const until = await this.effectiveUntil();
    if (until === null) return undefined;
    const left = Math.floor((until.getTime() - now.getTime()) / 86_400_000);
    if (left > days) return undefined;
    const what = `add next year's official schedule to ${this.config.calendarFile} (holidays.add, holidays.workdays, holidays.dataUntil)`;
    return left < 0
      ? `the release calendar cannot answer since ${until.toISOString()} (its holiday data has ended): regular releases wait at their release window for an override until you ${what}`
      : `the release calendar answers until ${until.toISOString()} (in ${left} days; its holiday data ends soon after, and a day's answer looks ahead): ${what} before then`;
  }

  async view(environment: string, from: Date, to: Date): Promise<CalendarView> {
    const calendar = await this.calendarOf(environment);
    const { windows, freezes } = windowsBetween(calendar, from, to);
    return {
      environment,
      timeZone: calendar.timeZone,
      holidayDataUntil: lastAnswerableInstant(calendar)?.toISOString() ?? null,
      windows: windows.map((window) => ({
        start: window.start.toISOString(),
        end: window.end.toISOString(),
      })),
      freezes: freezes.map((freeze) => ({
        start: freeze.start.toISOString(),
        end: freeze.end.toISOString(),
        reason: freeze.reason,
      })),
    };
  }
}

const MINUTE_MS = 60_000;
/** How far before the data's last date an answer can stop: the longest look-ahead is a holiday freeze. */
const LOOK_BACK_MS = 400 * 86_400_000;

/**
 * The last instant (to the minute) at which the calendar still answers whether a regular release may
 * go: a check past it throws CalendarDataExhausted. Answers only get harder further on (a later day
 * needs later days), so a binary search between the data's end and a year before it finds it.
 */
export function lastAnswerableInstant(calendar: ReleaseCalendar): Date | null {
  const { dataUntil } = calendar.holidays;
  if (dataUntil === null) return null;
  // A kept calendar answers from its own entry without serializing its configuration.
  const kept = lastAnswerableOf.get(calendar);
  if (kept !== undefined) return kept;
  // Calendars made anew from the same file give the same answer.
  const key = `${calendar.timeZone}\u0000${JSON.stringify(calendar.config)}`;
  const found = lastAnswerable.has(key)
    ? (lastAnswerable.get(key) as Date | null)
    : searchLastAnswerable(calendar, dataUntil);
  if (lastAnswerable.size >= 64) lastAnswerable.clear();
  lastAnswerable.set(key, found);
  lastAnswerableOf.set(calendar, found);
  return found;
}

const lastAnswerable = new Map<string, Date | null>();
const lastAnswerableOf = new WeakMap<ReleaseCalendar, Date | null>();

function searchLastAnswerable(calendar: ReleaseCalendar, dataUntil: string): Date | null {
  const answers = (at: number) => {
    try {
      nextAllowedMoment(calendar, new Date(at), ALL_RULES);
      return true;
    } catch (error) {
      if (error instanceof CalendarDataExhausted) return false;
      throw error;
    }
  };
  let high = Date.parse(`${dataUntil}T00:00:00Z`) + 2 * 86_400_000;
  let low = high - LOOK_BACK_MS;
  if (!answers(low)) return null;
  if (answers(high)) return new Date(high);
  while (high - low > MINUTE_MS) {
    const middle = low + Math.floor((high - low) / 2 / MINUTE_MS) * MINUTE_MS;
    if (answers(middle)) low = middle;
    else high = middle;
  }
  return new Date(low);
}
