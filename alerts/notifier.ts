// One way out for every alert a release raises (R-ALERT). Levels follow the seed: P0 critical (a
// failed compensation: the service may be left half-way), P1 major (a release waiting for a person's
// decision), P2 minor (a release rolled back by itself), P3 notice. Channels (webhooks, chat, mail)
// implement Notifier; the recording notifier keeps every alert in the release's record and the log
// whatever the channels do.
import type { AlertLevel } from '../workflows/release-model.js';

export { ALERT_LEVELS, type AlertLevel } from '../workflows/release-model.js';

export interface ReleaseAlert {
  /** Identifies the alert within its release: raising it again (a retried activity) is the same alert. */
  key: string;
  level: AlertLevel;
  kind: AlertKind;
  releaseId: string;
  service: string;
  stepId: string | null;
  environment: string | null;
  message: string;
  details?: Record<string, unknown>;
  /** Identities the alert is meant for (an escalation level's roster); channels name them. */
  audience?: string[];
}

/**
 * What an alert is about. `stage-changed` is an announcement to the release's channel (seed: 发布中沟通),
 * not routed by level; `escalation` goes to the ladder level's roster (`audience`).
 */
export const ALERT_KINDS = [
  'compensation-failed',
  'waiting-decision',
  'rolled-back',
  'rollback-verification-failed',
  'sla-breached',
  'escalation',
  'post-hoc-reminder',
  'expired',
  'superseded',
  'stage-changed',
  /** A rollback ordered after success did not run: a newer release of the service holds it. */
  'rollback-refused',
  /** The release calendar's holiday data ends soon (runway.yml's admins are told once a day). */
  'calendar-data-ending',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface Notifier {
  notify(alert: ReleaseAlert): Promise<void>;
}

/** Sends to every notifier; one that fails does not keep the others from being told. */
export class NotifierFanOut implements Notifier {
  constructor(private readonly notifiers: Notifier[]) {}

  async notify(alert: ReleaseAlert): Promise<void> {
    const results = await Promise.allSettled(this.notifiers.map((notifier) => notifier.notify(alert)));
    const failed = results.filter((result) => result.status === 'rejected');
    if (failed.length === results.length && failed.length > 0) {
      throw new AggregateError(
        failed.map((result) => (result as PromiseRejectedResult).reason),
        `no channel took alert ${alert.key}`,
      );
    }
  }
}
