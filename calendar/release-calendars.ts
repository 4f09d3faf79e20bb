// The configured release calendars of every environment (R-WINDOW): config/calendar.yml with each
// environment's time zone. The file is read anew on every question, so a freeze added while a
// release waits is seen when it wakes; a release never guesses past the holiday data.

import type { WindowCalendar, WindowCheckRequest } from '../activities/calendar-activities.js';
import type { RunwayConfig } from '../config/config-schema.js';
import type { WindowCheck } from '../workflows/release-model.js';
import { loadCalendarConfig } from './calendar-schema.js';
import { CalendarDataExhausted, HolidayCalendar } from './holiday-calendar.js';
import {
  nextAllowedMoment,
  type ReleaseCalendar,
  releaseCalendar,
  windowsBetween,
} from './release-windows.js';

export interface CalendarView {
  environment: string;
  timeZone: string;
  /** The last date the holiday data vouches for; null for a calendar without holiday data. */
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

export class ReleaseCalendars implements WindowCalendar, CalendarSource {
  constructor(private readonly config: Pick<RunwayConfig, 'environments' | 'calendarFile'>) {}

  async calendarOf(environment: string): Promise<ReleaseCalendar> {
    const settings = this.config.environments[environment];
    if (!settings) throw new UnknownEnvironment(`no environment ${environment}`);
    return releaseCalendar(await loadCalendarConfig(this.config.calendarFile), settings.timeZone);
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
   * A warning when the holiday data ends within `days` of `now` (R-WINDOW-4): past its end releases
   * wait for an override or a calendar update, so whoever runs Runway hears it at every start.
   */
  async dataEndWarning(now: Date, days = 60): Promise<string | undefined> {
    const config = await loadCalendarConfig(this.config.calendarFile);
    const { dataUntil } = new HolidayCalendar(config.country, config.holidays);
    if (dataUntil === null) return undefined;
    const left = Math.floor((Date.parse(`${dataUntil}T23:59:59Z`) - now.getTime()) / 86_400_000);
    if (left > days) return undefined;
    return left < 0
      ? `the release calendar's holiday data ended on ${dataUntil}: production releases wait for an override until next year's schedule is added to ${this.config.calendarFile} (holidays.add, holidays.workdays, holidays.dataUntil)`
      : `the release calendar's holiday data ends on ${dataUntil} (in ${left} days): add next year's official schedule to ${this.config.calendarFile} (holidays.add, holidays.workdays, holidays.dataUntil) before then`;
  }

  async view(environment: string, from: Date, to: Date): Promise<CalendarView> {
    const calendar = await this.calendarOf(environment);
    const { windows, freezes } = windowsBetween(calendar, from, to);
    return {
      environment,
      timeZone: calendar.timeZone,
      holidayDataUntil: calendar.holidays.dataUntil,
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
