// Keeps every alert in release_alerts (once per key) and logs it at a level that matches.
import type pg from 'pg';
import type { Logger } from 'pino';
import { storable } from '../db/release-records.js';
import { type AlertDelivery, listDeliveries } from './alert-deliveries.js';
import type { Notifier, ReleaseAlert } from './notifier.js';

export class RecordingNotifier implements Notifier {
  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
  ) {}

  async notify(alert: ReleaseAlert): Promise<void> {
    const row = storable(alert);
    const { rowCount } = await this.pool.query(
      `INSERT INTO release_alerts (release_id, alert_key, level, kind, step_id, environment, message, details, audience)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (release_id, alert_key) DO NOTHING`,
      [
        row.releaseId,
        row.key,
        row.level,
        row.kind,
        row.stepId,
        row.environment,
        row.message,
        row.details === undefined ? null : JSON.stringify(row.details),
        row.audience ?? null,
      ],
    );
    if (rowCount === 0) return;
    const fields = { alert: alert.key, level: alert.level, kind: alert.kind, releaseId: alert.releaseId };
    if (alert.level === 'P0' || alert.level === 'P1') this.logger.error(fields, alert.message);
    else if (alert.kind === 'stage-changed') this.logger.info(fields, alert.message);
    else this.logger.warn(fields, alert.message);
  }
}

export interface RecordedAlert extends ReleaseAlert {
  raisedAt: Date;
  /** What became of it on each channel it was routed to (none yet while a channel is retried). */
  deliveries: AlertDelivery[];
}

export async function listReleaseAlerts(pool: pg.Pool, releaseId: string): Promise<RecordedAlert[]> {
  const { rows } = await pool.query(
    `SELECT alert_key, level, kind, step_id, environment, message, details, audience, raised_at, r.service
       FROM release_alerts a JOIN releases r ON r.id = a.release_id
      WHERE a.release_id = $1 ORDER BY a.id`,
    [releaseId],
  );
  const deliveries = await listDeliveries(pool, releaseId);
  return rows.map((row) => ({
    key: row.alert_key,
    level: row.level,
    kind: row.kind,
    releaseId,
    service: row.service,
    stepId: row.step_id,
    environment: row.environment,
    message: row.message,
    details: row.details ?? undefined,
    ...(row.audience ? { audience: row.audience } : {}),
    raisedAt: row.raised_at,
    deliveries: deliveries.filter((delivery) => delivery.alertKey === row.alert_key),
  }));
}
