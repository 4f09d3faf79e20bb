// The audit trail in PostgreSQL (R-AUDIT): written by the API for every operation and by the record
// activity for every decision a workflow refused; read by admins through GET /api/v1/audit. Nothing
// here updates or deletes: the application's role could not (db/migrations/*_audit-trail.sql).
import type pg from 'pg';
import type { DecisionRecord } from '../workflows/release-model.js';

export const AUDIT_OUTCOMES = ['allowed', 'refused', 'failed'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** The action of a decision the workflow itself refused (a forged, stale, replayed or ineligible one). */
export const REFUSED_DECISION_ACTION = 'decision.refused-by-workflow';

export interface AuditEntry {
  /** The identity; null when none was established (no token, an unknown one). */
  actor: string | null;
  action: string;
  target: string;
  /** Null when the operation concerns no single environment, or when `releaseId` says which. */
  environment: string | null;
  /** The release the entry concerns: with no environment given, the one it stands in is recorded. */
  releaseId?: string;
  outcome: AuditOutcome;
  status: number | null;
  reason: string | null;
  requestId: string | null;
  details: Record<string, unknown> | null;
}

export interface AuditEvent extends Omit<AuditEntry, 'releaseId'> {
  id: number;
  occurredAt: Date;
}

export interface AuditQuery {
  actor?: string;
  action?: string;
  target?: string;
  outcome?: AuditOutcome;
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
  /** Only entries older than this id: the cursor of the previous page. */
  before?: number;
  limit: number;
  /** Entries of these environments, and those of none (an admin sees where they are admin). */
  environments: string[];
}

export interface AuditPage {
  events: AuditEvent[];
  /** Pass as `before` for the next page; null when this page is the last. */
  nextBefore: number | null;
}

type Queryable = Pick<pg.Pool, 'query'>;

/** Long enough for any message Runway writes; a hostile path or reason cannot bloat the table. */
const MAX_TEXT = 2_000;

/** PostgreSQL text and jsonb cannot hold NUL; a request that carries one is still recorded. */
function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('\u0000', '\uFFFD') as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutNul(item)])) as T;
  }
  return value;
}

const clip = (text: string | null): string | null =>
  text === null ? null : withoutNul(text.slice(0, MAX_TEXT));

// An entry about a release is filed under the environment the release stands in, whatever the
// request said: who may read the entry must not be the caller's choice. One statement writes a
// whole batch, in the order the entries came (see AuditLog.record).
const INSERT_EVENTS = `INSERT INTO audit_events
    (actor, action, target, environment, outcome, status, reason, request_id, details)
  SELECT e->>'actor', e->>'action', e->>'target',
    COALESCE((SELECT COALESCE(pending_gate->>'environment', current_environment)
      FROM releases WHERE id = e->>'releaseId'), e->>'environment'),
    e->>'outcome', (e->>'status')::integer, e->>'reason', e->>'requestId', NULLIF(e->'details', 'null'::jsonb)
  FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS batch(e, position)
  ORDER BY position`;

/** Enough to absorb any burst one process sees; a bigger statement would only wait longer. */
const MAX_BATCH = 500;

interface Pending {
  row: Record<string, unknown>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function rowOf(entry: AuditEntry): Record<string, unknown> {
  return {
    actor: clip(entry.actor),
    action: clip(entry.action),
    target: clip(entry.target),
    environment: clip(entry.environment),
    outcome: entry.outcome,
    status: entry.status,
    reason: clip(entry.reason),
    requestId: clip(entry.requestId),
    details: entry.details && withoutNul(entry.details),
    releaseId: entry.releaseId ?? null,
  };
}

export class AuditLog {
  /** Entries waiting for the write in flight to end. */
  readonly #queue: Pending[] = [];
  #writing = false;

  constructor(private readonly db: Queryable) {}

  /**
   * Resolves once the entry is committed. Entries recorded while a write is in flight are written
   * together by the next one (group commit): under load one commit carries many requests' entries,
   * and each request still answers only after its own entry is durable.
   */
  record(entry: AuditEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ row: rowOf(entry), resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) await this.#write(this.#queue.splice(0, MAX_BATCH));
    } finally {
      this.#writing = false;
    }
  }

  async #write(batch: Pending[]): Promise<void> {
    try {
      await this.#insert(batch);
      for (const pending of batch) pending.resolve();
    } catch (error) {
      if (batch.length === 1) return (batch[0] as Pending).reject(error);
      // One entry the table refuses must not cost the others theirs: each is written alone.
      for (const pending of batch) await this.#write([pending]);
    }
  }

  #insert(batch: Pending[]) {
    return this.db.query(INSERT_EVENTS, [JSON.stringify(batch.map((pending) => pending.row))]);
  }

  /** Newest first, one page. */
  async list(query: AuditQuery): Promise<AuditPage> {
    const values: unknown[] = [query.environments];
    const conditions = ['(environment IS NULL OR environment = ANY($1::text[]))'];
    const where = (condition: string, value: unknown) => {
      if (value === undefined) return;
      values.push(value);
      conditions.push(condition.replace('?', `$${values.length}`));
    };
    where('actor = ?', query.actor);
    where('action = ?', query.action);
    where('target = ?', query.target);
    where('outcome = ?', query.outcome);
    where('occurred_at >= ?', query.since);
    where('occurred_at < ?', query.until);
    where('id < ?', query.before);
    // One more than asked, to tell whether another page follows.
    values.push(query.limit + 1);
    const { rows } = await this.db.query(
      `SELECT id, occurred_at, actor, action, target, environment, outcome, status, reason, request_id, details
       FROM audit_events WHERE ${conditions.join(' AND ')} ORDER BY id DESC LIMIT $${values.length}`,
      values,
    );
    const events = rows.slice(0, query.limit).map(toAuditEvent);
    const last = events.at(-1);
    return { events, nextBefore: rows.length > query.limit && last ? last.id : null };
  }
}

function toAuditEvent(row: Record<string, unknown>): AuditEvent {
  return {
    id: Number(row.id),
    occurredAt: row.occurred_at as Date,
    actor: row.actor as string | null,
    action: row.action as string,
    target: row.target as string,
    environment: row.environment as string | null,
    outcome: row.outcome as AuditOutcome,
    status: row.status as number | null,
    reason: row.reason as string | null,
    requestId: row.request_id as string | null,
    details: row.details as Record<string, unknown> | null,
  };
}

/**
 * The audit entry of a decision the workflow refused, written in the transaction that records the
 * decision itself, so the two exist together or not at all. The environment is the gate's, from the
 * plan the release runs. The actor is who the claim named: unverified, as `reason` says.
 */
export async function recordRefusedDecision(
  db: Queryable,
  releaseId: string,
  decision: DecisionRecord,
): Promise<void> {
  const claimedActor = decision.actor === '?' ? null : decision.actor;
  await db.query(
    `INSERT INTO audit_events (actor, action, target, environment, outcome, reason, details)
     VALUES ($1, $2, $3, (SELECT step->>'environment' FROM releases, jsonb_array_elements(runbook->'steps') AS step
       WHERE id = $3 AND step->>'id' = $4 LIMIT 1), 'refused', $5, $6)`,
    [
      clip(claimedActor),
      REFUSED_DECISION_ACTION,
      releaseId,
      decision.gateId,
      clip(`${decision.refusal ?? 'refused'}: ${decision.reason ?? 'no reason given'}`),
      JSON.stringify(
        withoutNul({
          seq: decision.seq,
          gateId: decision.gateId,
          decision: decision.decision,
          claimedRoles: decision.roles,
          decisionId: decision.decisionId,
          via: decision.via,
          receivedAt: decision.at,
        }),
      ),
    ],
  );
}
