// POST /releases with an Idempotency-Key: a client that lost the answer (a timeout, an API that
// died mid-request) retries with the same key and gets the same release, never a second one. The
// key, per identity, is claimed with the release id before anything is created; a retry whose
// first request died resumes that very start (record and workflow are keyed by the release id).
import { createHash } from 'node:crypto';
import type pg from 'pg';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  releaseIdempotencyKey,
} from '../../db/idempotency-keys.js';
import { getRelease } from '../../db/release-records.js';
import type { Principal } from '../principal.js';
import { ConflictError, UnprocessableError } from '../service-errors.js';
import type { ReleaseReader, ReleaseView } from './release-reader.js';
import { newReleaseId, type ReleaseStarter, type StartRequest } from './release-starter.js';

export class IdempotentStarts {
  constructor(
    private readonly deps: {
      pool: pg.Pool;
      starter: ReleaseStarter;
      reader: ReleaseReader;
      leaseSeconds: number;
    },
  ) {}

  /** `created` is true for the answer that started it (201), false for a later one (200). */
  async start(
    request: StartRequest,
    requester: Principal,
    key: string,
  ): Promise<{ release: ReleaseView; created: boolean }> {
    const { pool, starter, reader } = this.deps;
    const requestHash = hashOf(request);
    const { row, holder } = await claimIdempotencyKey(pool, {
      identity: requester.name,
      key,
      requestHash,
      releaseId: newReleaseId(request),
      leaseSeconds: this.deps.leaseSeconds,
    });
    if (row.requestHash !== requestHash) {
      throw new UnprocessableError('this Idempotency-Key was already used for a different request');
    }
    if (row.state === 'done') return { release: await reader.get(row.releaseId, requester), created: false };
    if (!holder) {
      throw new ConflictError('a request with this Idempotency-Key is still in progress; retry in a moment');
    }
    // An earlier attempt started the release and its answer was lost: that release is the answer,
    // even once it has ended — a retry never starts (or supersedes) anything else.
    const started = await getRelease(pool, row.releaseId);
    if (started?.finishedAt) {
      await completeIdempotencyKey(pool, requester.name, key);
      return { release: await reader.get(row.releaseId, requester), created: false };
    }
    try {
      await starter.start(request, requester, row.releaseId);
    } catch (error) {
      // Nothing was created: the key is free again for a corrected retry.
      if (!(await getRelease(pool, row.releaseId))) await releaseIdempotencyKey(pool, requester.name, key);
      throw error;
    }
    await completeIdempotencyKey(pool, requester.name, key);
    return { release: await reader.get(row.releaseId, requester), created: true };
  }
}

function hashOf(request: StartRequest): string {
  const canonical = JSON.stringify([
    request.type,
    request.service,
    request.version,
    request.changeRef ?? null,
    // A config-change retried with another reason, impact or plan is another request.
    ...(request.configChange
      ? [
          request.configChange.configRevision,
          request.configChange.reason,
          request.configChange.impact,
          request.configChange.rollbackPlan,
        ]
      : []),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
