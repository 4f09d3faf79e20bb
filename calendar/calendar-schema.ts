// The shape of config/calendar.yml: when regular releases may reach production (R-WINDOW-1..4).
// Every time in it is wall-clock time of the environment the calendar is applied to, except
// instants written with an offset; the time zone itself belongs to the environment, not here.
import { join } from 'node:path';
import { z } from 'zod';
import { projectRoot } from '../config/project-root.js';
import { readYamlFile } from '../config/read-yaml-file.js';
import { COUNTRIES, officialHolidayNames } from './holiday-calendar.js';
import { isLocalDate } from './local-date.js';

export const DEFAULT_CALENDAR_FILE = join(projectRoot, 'config', 'calendar.yml');

const LOCAL_TIME = /^(?:[01]\d|2[0-3]):[0-5]\d$/;
const LOCAL_DATE_TIME = /^(\d{4}-\d{2}-\d{2})(?:T((?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,3})?)?))?$/;
const INSTANT =
  /^\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** 'HH:MM' as minutes since midnight; '24:00' (a window's end only) is 1440. */
export function minutesOf(time: string): number {
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

const localDate = z.string().refine(isLocalDate, { error: 'expected a date YYYY-MM-DD that exists' });

const windowSchema = z
  .strictObject({
    start: z.string().regex(LOCAL_TIME, { error: 'expected a local time HH:MM, 00:00 to 23:59' }),
    end: z.string().refine((time) => LOCAL_TIME.test(time) || time === '24:00', {
      error: 'expected a local time HH:MM, 00:01 to 24:00',
    }),
  })
  .refine(({ start, end }) => minutesOf(start) < minutesOf(end), {
    error: 'expected end after start (a window lies within one day)',
    path: ['end'],
  });
export type WindowConfig = z.infer<typeof windowSchema>;

const windowListSchema = z.array(windowSchema).superRefine((windows, context) => {
  windows.forEach((window, index) => {
    const previous = windows[index - 1];
    if (previous && minutesOf(window.start) < minutesOf(previous.end)) {
      context.addIssue({
        code: 'custom',
        path: [index, 'start'],
        message: `expected windows in time order without overlap: this one starts before ${previous.end}`,
      });
    }
  });
});

/** A local date-time ('2026-11-11T00:00', '2026-11-11') or an instant with an offset. */
const momentSchema = z.string().refine((text) => parseMoment(text) !== undefined, {
  error:
    'expected a local date-time YYYY-MM-DDTHH:MM (or a date YYYY-MM-DD, meaning its 00:00) in the ' +
    "environment's time zone, or an instant with an offset such as 2026-11-11T00:00:00+08:00",
});

export type Moment = { kind: 'local'; date: string; msOfDay: number } | { kind: 'instant'; instant: number };

/** Reads a peak's or freeze's start or end; undefined when it is neither form. */
export function parseMoment(text: string): Moment | undefined {
  if (INSTANT.test(text)) {
    const instant = Date.parse(text);
    return Number.isNaN(instant) || !isLocalDate(text.slice(0, 10))
      ? undefined
      : { kind: 'instant', instant };
  }
  const match = LOCAL_DATE_TIME.exec(text);
  if (!match || !isLocalDate(match[1] ?? '')) return undefined;
  const time = match[2] ?? '00:00';
  const seconds = time.length > 5 ? Number(time.slice(6)) : 0;
  return {
    kind: 'local',
    date: match[1] ?? '',
    msOfDay: minutesOf(time) * 60_000 + Math.round(seconds * 1000),
  };
}

const blockedPeriodSchema = z
  .strictObject({ start: momentSchema, end: momentSchema, reason: z.string().trim().min(1) })
  .refine(
    ({ start, end }) => {
      const from = parseMoment(start);
      const to = parseMoment(end);
      // Mixed forms depend on the environment's zone; they are checked when the calendar is built.
      if (!from || !to || from.kind !== to.kind) return true;
      if (from.kind === 'instant' && to.kind === 'instant') return from.instant < to.instant;
      if (from.kind === 'local' && to.kind === 'local') {
        return from.date < to.date || (from.date === to.date && from.msOfDay < to.msOfDay);
      }
      return true;
    },
    { error: 'expected end after start', path: ['end'] },
  );
export type BlockedPeriodConfig = z.infer<typeof blockedPeriodSchema>;

const DEFAULT_WINDOWS = [
  { start: '10:00', end: '12:00' },
  { start: '14:00', end: '16:00' },
];

export const calendarConfigSchema = z
  .strictObject({
    /** Whose official holidays apply. */
    country: z.enum(COUNTRIES).default('CN'),
    /** Allowed intervals on a working day, by weekday (a make-up Saturday uses `saturday`, else `default`). */
    windows: z
      .strictObject({
        default: windowListSchema,
        monday: windowListSchema.optional(),
        tuesday: windowListSchema.optional(),
        wednesday: windowListSchema.optional(),
        thursday: windowListSchema.optional(),
        friday: windowListSchema.optional(),
        saturday: windowListSchema.optional(),
        sunday: windowListSchema.optional(),
      })
      .default({ default: DEFAULT_WINDOWS }),
    avoid: z
      .strictObject({
        /** No window from 12:00 on a Friday. */
        fridayAfternoon: z.boolean().default(true),
        /** No window on the last working day before a holiday period. */
        lastWorkingDayBeforeHoliday: z.boolean().default(true),
      })
      .default({ fridayAfternoon: true, lastWorkingDayBeforeHoliday: true }),
    /** Forbidden business peaks. */
    peaks: z.array(blockedPeriodSchema).default([]),
    /** Freezes: major events, maintenance periods. */
    freezes: z.array(blockedPeriodSchema).default([]),
    /** A freeze from `daysBefore` days before the first day off of these holidays to their end. */
    majorHolidays: z
      .strictObject({
        names: z.array(z.string().min(1)).default(['Spring Festival', 'National Day']),
        daysBefore: z.int().min(0).max(60).default(7),
      })
      .default({ names: ['Spring Festival', 'National Day'], daysBefore: 7 }),
    /** Corrections to the official data, and how far to trust it. */
    holidays: z
      .strictObject({
        add: z.array(z.strictObject({ date: localDate, name: z.string().trim().min(1) })).default([]),
        /** Make-up working days; `name` (the holiday they make up for) is for the reader. */
        workdays: z.array(z.strictObject({ date: localDate, name: z.string().optional() })).default([]),
        dataUntil: localDate.nullable().default(null),
      })
      .default({ add: [], workdays: [], dataUntil: null }),
  })
  .superRefine((calendar, context) => {
    const added = new Set<string>();
    calendar.holidays.add.forEach(({ date }, index) => {
      if (added.has(date)) {
        context.addIssue({
          code: 'custom',
          path: ['holidays', 'add', index, 'date'],
          message: `${date} twice`,
        });
      }
      added.add(date);
    });
    calendar.holidays.workdays.forEach(({ date }, index) => {
      if (added.has(date)) {
        context.addIssue({
          code: 'custom',
          path: ['holidays', 'workdays', index, 'date'],
          message: `expected a date not also in holidays.add (${date} cannot be both a day off and a working day)`,
        });
      }
    });
    const known = new Set([
      ...officialHolidayNames(calendar.country),
      ...calendar.holidays.add.map(({ name }) => name),
    ]);
    calendar.majorHolidays.names.forEach((name, index) => {
      if (!known.has(name)) {
        context.addIssue({
          code: 'custom',
          path: ['majorHolidays', 'names', index],
          message: `expected a holiday of ${calendar.country} (${[...known].map((n) => `"${n}"`).join(', ') || 'none in its data'}) or a name used in holidays.add`,
        });
      }
    });
  });

/** config/calendar.yml as validated, defaults filled in. */
export type CalendarConfig = z.infer<typeof calendarConfigSchema>;
/** What a calendar file or a test may write: everything optional that has a default. */
export type CalendarConfigInput = z.input<typeof calendarConfigSchema>;

/** Reads and validates a calendar file; a bad one throws ConfigError (file, path, expectation). */
export function loadCalendarConfig(file: string = DEFAULT_CALENDAR_FILE): Promise<CalendarConfig> {
  return readYamlFile(file, calendarConfigSchema);
}
