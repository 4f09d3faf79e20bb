// R-WINDOW-4: the release calendar refuses to guess past its holiday data, so regular releases wait
// for an override once it ends. From 30 days before its effective end (the last instant a check can
// answer), every worker looks once an hour and the first to find today's notice unsent sends it: one
// P2 alert a day to the channels routed for P2 (the admins' channel), until the next official
// schedule is added to config/calendar.yml.
import type pg from 'pg';
import type { Logger } from '../logging/logger.js';
import { type AlertingSettings, alertMessage } from './alert-message.js';
import { routeAlert } from './alert-routing.js';
import { createChannel } from './channels/index.js';

/** How long before the effective end the daily notice starts. */
export const NOTICE_DAYS = 30;
const DAY_MS = 86_400_000;
const CHECK_EVERY_MS = 3_600_000;

export interface CalendarNoticeDeps {
  pool: pg.Pool;
  logger: Logger;
  calendars: { effectiveUntil(): Promise<Date | null> };
  /** Channels and routes; none: the notice is only logged. */
  alerting?: AlertingSettings;
  calendarFile: string;
  now?: () => Date;
}

export type NoticeOutcome = 'not-due' | 'already-sent' | 'sent' | 'not-delivered';

export class CalendarNotices {
  constructor(private readonly deps: CalendarNoticeDeps) {}

  /** Sends today's notice if it is due and nobody sent it yet. */
  async checkOnce(): Promise<NoticeOutcome> {
    const now = (this.deps.now ?? (() => new Date()))();
    const until = await this.deps.calendars.effectiveUntil();
    if (until === null || until.getTime() - now.getTime() > NOTICE_DAYS * DAY_MS) return 'not-due';
    const day = now.toISOString().slice(0, 10);
    const claimed = await this.deps.pool.query(
      'INSERT INTO calendar_notices (day, effective_until) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [day, until],
    );
    if (claimed.rowCount !== 1) return 'already-sent';
    const text = noticeText(until, now, this.deps.calendarFile);
    this.deps.logger.warn({ effectiveUntil: until.toISOString() }, text);
    const delivered = await this.#deliver(text, until, now);
    if (delivered) return 'sent';
    // Nobody was told: leave the day unclaimed, so the next hour tries again.
    await this.deps.pool.query('DELETE FROM calendar_notices WHERE day = $1', [day]);
    return 'not-delivered';
  }

  /** Checks now and every hour until stopped. */
  start(): { stop(): void } {
    const check = () =>
      this.checkOnce().catch((error: unknown) =>
        this.deps.logger.warn({ err: String(error) }, 'could not check the calendar notice'),
      );
    void check();
    const timer = setInterval(check, CHECK_EVERY_MS);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }

  /** True when at least one channel took it (or none is configured: the log line is the notice). */
  async #deliver(text: string, until: Date, now: Date): Promise<boolean> {
    const alerting = this.deps.alerting;
    if (!alerting) return true;
    const alert = { level: 'P2' as const, kind: 'calendar-data-ending' as const, service: 'runway' };
    const channels = routeAlert(alerting.alerts, alert);
    if (channels.length === 0) return true;
    const message = alertMessage(
      {
        ...alert,
        key: `calendar-data-ending:${now.toISOString().slice(0, 10)}`,
        releaseId: '',
        version: null,
        stepId: null,
        environment: null,
        message: text,
        details: { effectiveUntil: until.toISOString() },
        raisedAt: now,
      },
      alerting,
    );
    message.links = { release: `${alerting.apiBaseUrl}/api/v1/calendar`, temporal: alerting.temporalWebUrl };
    let delivered = false;
    for (const name of channels) {
      try {
        await createChannel(alerting, name)?.send(message);
        delivered = true;
      } catch (error) {
        this.deps.logger.error({ channel: name, err: String(error) }, 'calendar notice not delivered');
      }
    }
    return delivered;
  }
}

export function noticeText(until: Date, now: Date, calendarFile: string): string {
  const days = Math.floor((until.getTime() - now.getTime()) / DAY_MS);
  const when =
    days < 0
      ? `has not been able to answer since ${until.toISOString()}: regular releases wait at their release window for an override`
      : `can answer only until ${until.toISOString()} (${days} days): after that, regular releases wait at their release window for an override`;
  return `The release calendar ${when}. Add the next official holiday schedule (days off and make-up working days) to ${calendarFile} under holidays.add and holidays.workdays, and set holidays.dataUntil to its last day.`;
}
