// runway calendar: the release windows and freezes of an environment over the next days, shown in
// the calendar's own time zone.
import { type Command, InvalidArgumentError } from 'commander';
import type { CalendarView } from '../api-types.js';
import { action, withCommonOptions } from '../command-context.js';
import { EXIT } from '../exit-codes.js';
import { printableStrings } from '../output.js';

const DAY_MS = 86_400_000;

function parseDays(text: string): number {
  const days = Number(text);
  if (!Number.isInteger(days) || days < 1 || days > 400)
    throw new InvalidArgumentError('expected 1 to 400 days');
  return days;
}

/** "Mon 2026-12-07" and "10:00" in the calendar's time zone. */
function localParts(instant: string, timeZone: string) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(instant))
      .map((part) => [part.type, part.value]),
  );
  return {
    day: `${parts.weekday} ${parts.year}-${parts.month}-${parts.day}`,
    time: `${parts.hour}:${parts.minute}`,
  };
}

export function calendarLines(answer: CalendarView, days: number): string[] {
  const calendar = printableStrings(answer);
  const zone = calendar.timeZone;
  const lines = [
    `${calendar.environment}: the next ${days} days, in ${zone}${calendar.holidayDataUntil ? ` (holiday data until ${calendar.holidayDataUntil})` : ''}`,
    'windows:',
  ];
  const byDay = new Map<string, string[]>();
  for (const window of calendar.windows) {
    const start = localParts(window.start, zone);
    const end = localParts(window.end, zone);
    const span = start.day === end.day ? `${start.time}–${end.time}` : `${start.time}–${end.day} ${end.time}`;
    byDay.set(start.day, [...(byDay.get(start.day) ?? []), span]);
  }
  if (byDay.size === 0) lines.push('  none');
  for (const [day, spans] of byDay) lines.push(`  ${day}  ${spans.join('  ')}`);
  lines.push('freezes:');
  if (calendar.freezes.length === 0) lines.push('  none');
  for (const freeze of calendar.freezes) {
    const start = localParts(freeze.start, zone);
    const end = localParts(freeze.end, zone);
    lines.push(`  ${start.day} ${start.time} → ${end.day} ${end.time}  ${freeze.reason}`);
  }
  return lines;
}

export function registerCalendarCommand(program: Command): void {
  withCommonOptions(
    program
      .command('calendar')
      .description('release windows and freezes of an environment over the next days')
      .option('--env <environment>', 'the environment', 'production')
      .option('--days <n>', 'how many days from now (1–400)', parseDays, 7),
  )
    .addHelpText('after', '\nExample:\n  runway calendar --env production --days 14')
    .action(
      action(async (context, options: { env: string; days: number }) => {
        const from = new Date();
        const calendar = await context.client().get<CalendarView>('/calendar', {
          environment: options.env,
          from: from.toISOString(),
          to: new Date(from.getTime() + options.days * DAY_MS).toISOString(),
        });
        if (context.out.json) context.out.printJson(calendar);
        else context.out.print(...calendarLines(calendar, options.days));
        return EXIT.ok;
      }),
    );
}
