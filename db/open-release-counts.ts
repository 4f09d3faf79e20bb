// Open release records counted for the API's gauges at scrape time: by service, type and status,
// and how many of them are past their SLA (R-SLA: production work not ended by the deadline).
import type pg from 'pg';
import type { AlertLevel, ReleaseStatus, ReleaseType } from '../workflows/release-model.js';

export interface OpenReleaseCount {
  service: string;
  type: ReleaseType;
  status: ReleaseStatus;
  /** The SLA's alert level; null for releases without an SLA (regular, config-change). */
  slaLevel: AlertLevel | null;
  open: number;
  pastSla: number;
}

export async function countOpenReleases(pool: Pick<pg.Pool, 'query'>): Promise<OpenReleaseCount[]> {
  // The SLA stops when production work ends (sla.stoppedAt): a release past it is one still working.
  const { rows } = await pool.query(
    `SELECT service, type, status, sla->>'level' AS sla_level, count(*)::int AS open,
            (count(*) FILTER (WHERE sla->>'deadline' IS NOT NULL AND sla->>'stoppedAt' IS NULL
                                AND (sla->>'deadline')::timestamptz < now()))::int AS past_sla
       FROM releases WHERE finished_at IS NULL
      GROUP BY service, type, status, sla->>'level'`,
  );
  return rows.map((row) => ({
    service: row.service,
    type: row.type,
    status: row.status,
    slaLevel: row.sla_level ?? null,
    open: row.open,
    pastSla: row.past_sla,
  }));
}
