// What became of an alert on each channel (release_alert_deliveries): delivered, or failed after its
// last attempt. One outcome per alert and channel, so a retried record lands once.
import type pg from 'pg';
import { storable } from '../db/release-records.js';
import type { StoredAlert } from './alert-message.js';

export const DELIVERY_OUTCOMES = ['delivered', 'failed'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

export interface AlertDelivery {
  alertKey: string;
  channel: string;
  channelType: string;
  outcome: DeliveryOutcome;
  attempts: number;
  error: string | null;
  at: Date;
}

export async function recordDelivery(
  pool: pg.Pool,
  releaseId: string,
  delivery: Omit<AlertDelivery, 'at'>,
): Promise<void> {
  await pool.query(
    `INSERT INTO release_alert_deliveries (release_id, alert_key, channel, channel_type, outcome, attempts, error)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (release_id, alert_key, channel) DO NOTHING`,
    [
      releaseId,
      delivery.alertKey,
      delivery.channel,
      delivery.channelType,
      delivery.outcome,
      delivery.attempts,
      delivery.error === null ? null : storable(delivery.error.slice(0, 2000)),
    ],
  );
}

export async function listDeliveries(pool: pg.Pool, releaseId: string): Promise<AlertDelivery[]> {
  const { rows } = await pool.query(
    `SELECT alert_key, channel, channel_type, outcome, attempts, error, at
       FROM release_alert_deliveries WHERE release_id = $1 ORDER BY id`,
    [releaseId],
  );
  return rows.map((row) => ({
    alertKey: row.alert_key,
    channel: row.channel,
    channelType: row.channel_type,
    outcome: row.outcome,
    attempts: row.attempts,
    error: row.error,
    at: row.at,
  }));
}

/** The recorded alert a delivery sends, with the release's version; undefined when none has the key. */
export async function findStoredAlert(
  pool: pg.Pool,
  releaseId: string,
  key: string,
): Promise<StoredAlert | undefined> {
  const { rows } = await pool.query(
    `SELECT a.alert_key, a.level, a.kind, a.step_id, a.environment, a.message, a.details, a.audience, a.raised_at,
            r.service, r.version
       FROM release_alerts a JOIN releases r ON r.id = a.release_id
      WHERE a.release_id = $1 AND a.alert_key = $2`,
    [releaseId, key],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    key: row.alert_key,
    level: row.level,
    kind: row.kind,
    releaseId,
    service: row.service,
    version: row.version ?? null,
    stepId: row.step_id,
    environment: row.environment,
    message: row.message,
    ...(row.details ? { details: row.details } : {}),
    ...(row.audience ? { audience: row.audience } : {}),
    raisedAt: row.raised_at,
  };
}
