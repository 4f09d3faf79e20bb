// GET /api/v1/metrics/delivery behind the route: the window asked for, the records read for it, and
// the metrics computed from them (R-METRICS). The arithmetic is delivery-metrics.ts's.
import type pg from 'pg';
import { type DeliveryRow, listDeliveryRows } from '../../db/delivery-records.js';
import type { PlanStep, ReleaseType } from '../../workflows/release-model.js';
import { stepDefinitions } from '../../workflows/steps/step-definitions.js';
import { traitsOf } from '../../workflows/steps/step-kinds.js';
import { UnprocessableError } from '../service-errors.js';
import {
  computeDeliveryMetrics,
  type DeliveryMetric,
  type DeliveryRecord,
  type DeliveryStepPart,
} from './delivery-metrics.js';

/** Without `from`, the window is the four weeks before `to`. */
export const DEFAULT_WINDOW_DAYS = 28;
/** The longest window one request may ask for. */
export const MAX_WINDOW_DAYS = 366;
const DAY_MS = 86_400_000;

export interface DeliveryMetricsQuery {
  environment: string;
  service?: string;
  type?: ReleaseType;
  /** ISO-8601 instants, as validated by the route. */
  from?: string;
  to?: string;
}

export interface DeliveryMetricsReport {
  from: string;
  to: string;
  service: string | null;
  type: ReleaseType | null;
  environment: string;
  metrics: DeliveryMetric[];
}

/**
 * The window asked for: `to` defaults to now, `from` to DEFAULT_WINDOW_DAYS before `to`. A window
 * that is empty or longer than MAX_WINDOW_DAYS is refused (422: well-formed instants, which no
 * query schema can compare).
 */
export function deliveryWindow(query: Pick<DeliveryMetricsQuery, 'from' | 'to'>, now: number) {
  const to = query.to === undefined ? new Date(now) : new Date(query.to);
  const from =
    query.from === undefined ? new Date(to.getTime() - DEFAULT_WINDOW_DAYS * DAY_MS) : new Date(query.from);
  if (!(from < to)) {
    throw new UnprocessableError(
      `expected from before to: ${from.toISOString()} is not before ${to.toISOString()}`,
    );
  }
  if (to.getTime() - from.getTime() > MAX_WINDOW_DAYS * DAY_MS) {
    throw new UnprocessableError(`expected at most ${MAX_WINDOW_DAYS} days between from and to`);
  }
  return { from, to };
}

/** What each kind of step is to a deployment, from the kinds' own traits (step-kind.ts). */
function stepParts(): Map<string, DeliveryStepPart> {
  const parts = new Map<string, DeliveryStepPart>([['compensation', 'undo']]);
  for (const { kind } of stepDefinitions()) {
    const traits = traitsOf({ kind } as Pick<PlanStep, 'kind'>);
    parts.set(kind, traits.changesTarget ? 'change' : traits.gate ? 'gate' : 'check');
  }
  return parts;
}

function toDeliveryRecord(row: DeliveryRow, parts: Map<string, DeliveryStepPart>): DeliveryRecord {
  return {
    ...row,
    // A kind this API does not know (a plugin's) neither changes nor waits, as far as it can tell.
    steps: row.steps.map(({ kind, ...step }) => ({ ...step, part: parts.get(kind) ?? 'check' })),
  };
}

/** The delivery metrics of one environment; the caller has checked that the asker reads it. */
export async function readDeliveryMetrics(
  pool: pg.Pool,
  query: DeliveryMetricsQuery,
  now: number,
): Promise<DeliveryMetricsReport> {
  const { from, to } = deliveryWindow(query, now);
  const parts = stepParts();
  const rows = await listDeliveryRows(pool, {
    environment: query.environment,
    changingKinds: [...parts].filter(([, part]) => part === 'change').map(([kind]) => kind),
    // No record predates 1970; PostgreSQL would refuse the years before 1 that a query may name.
    since: new Date(Math.max(from.getTime(), 0)),
    ...(query.service ? { service: query.service } : {}),
  });
  const metrics = computeDeliveryMetrics(
    rows.map((row) => toDeliveryRecord(row, parts)),
    {
      environment: query.environment,
      from,
      to,
      ...(query.service ? { service: query.service } : {}),
      ...(query.type ? { type: query.type } : {}),
    },
  );
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    service: query.service ?? null,
    type: query.type ?? null,
    environment: query.environment,
    metrics,
  };
}
