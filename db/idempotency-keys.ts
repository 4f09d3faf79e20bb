// Idempotency keys of POST /releases, per identity (see the migration).
import type pg from 'pg';

export interface IdempotencyKeyRow {
  requestHash: string;
  releaseId: string;
  state: 'in-progress' | 'done';
  locked: boolean;
}

/** Keys are kept at least this long (the OpenAPI document promises 24 hours). */
const KEEP_HOURS = 48;

/**
 * Claims `key` for a new request, or takes over one whose request died (lease expired). Returns
 * the row as it stands after the attempt and whether this caller now holds it.
 */
type Claim = { identity: string; key: string; requestHash: string; releaseId: string; leaseSeconds: number };

export async function claimIdempotencyKey(
  pool: pg.Pool,
  claim: Claim,
): Promise<{ row: IdempotencyKeyRow; holder: boolean }> {
  // A key freed by a failed request between the insert and the read below is simply claimed again.
  for (;;) {
    const claimed = await tryClaim(pool, claim);
    if (claimed) return claimed;
  }
}

async function tryClaim(
  pool: pg.Pool,
  claim: Claim,
): Promise<{ row: IdempotencyKeyRow; holder: boolean } | undefined> {
  await pool.query(`DELETE FROM api_idempotency_keys WHERE created_at < now() - make_interval(hours => $1)`, [
    KEEP_HOURS,
  ]);
  const inserted = await pool.query(
    `INSERT INTO api_idempotency_keys (identity, key, request_hash, release_id, state, locked_until)
     VALUES ($1, $2, $3, $4, 'in-progress', now() + make_interval(secs => $5))
     ON CONFLICT DO NOTHING RETURNING release_id`,
    [claim.identity, claim.key, claim.requestHash, claim.releaseId, claim.leaseSeconds],
  );
  if (inserted.rowCount === 1) {
    return {
      row: { requestHash: claim.requestHash, releaseId: claim.releaseId, state: 'in-progress', locked: true },
      holder: true,
    };
  }
  // Someone used the key before: take it over only if its request died with the same body.
  const takenOver = await pool.query(
    `UPDATE api_idempotency_keys SET locked_until = now() + make_interval(secs => $4)
     WHERE identity = $1 AND key = $2 AND request_hash = $3 AND state = 'in-progress' AND locked_until < now()
     RETURNING release_id`,
    [claim.identity, claim.key, claim.requestHash, claim.leaseSeconds],
  );
  const { rows } = await pool.query(
    `SELECT request_hash, release_id, state, locked_until > now() AS locked
     FROM api_idempotency_keys WHERE identity = $1 AND key = $2`,
    [claim.identity, claim.key],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    row: { requestHash: row.request_hash, releaseId: row.release_id, state: row.state, locked: row.locked },
    holder: takenOver.rowCount === 1,
  };
}

export async function completeIdempotencyKey(pool: pg.Pool, identity: string, key: string): Promise<void> {
  await pool.query(`UPDATE api_idempotency_keys SET state = 'done' WHERE identity = $1 AND key = $2`, [
    identity,
    key,
  ]);
}

/** The request failed before creating anything: the key is free for a corrected retry. */
export async function releaseIdempotencyKey(pool: pg.Pool, identity: string, key: string): Promise<void> {
  await pool.query(
    `DELETE FROM api_idempotency_keys WHERE identity = $1 AND key = $2 AND state = 'in-progress'`,
    [identity, key],
  );
}
