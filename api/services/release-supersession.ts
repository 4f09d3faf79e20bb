// Supersession (R-EXPIRE): a newer release of a service starts while an older one waits at a gate
// (approval, release window, manual confirmation) and configuration says `supersede`. The API signs a
// `supersede` order (gate `release`, the comment names the newer release) for the older release's
// workflow, which judges it like any order — counted only while it still waits at a gate — and ends
// `superseded`, production keeping what it has. The newer release may start once the older one has let go of
// the service's lock.
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { getRelease, type ReleaseRow } from '../../db/release-records.js';
import type { Logger } from '../../logging/logger.js';
import type { DecisionKeys } from '../../security/decision-signature.js';
import { RELEASE_ORDER_GATE } from '../../workflows/release-model.js';
import type { Principal } from '../principal.js';
import { ConflictError } from '../service-errors.js';
import { newClaim, WorkflowDecisions } from './workflow-decisions.js';

export interface SupersessionDeps {
  client: Client;
  pool: pg.Pool;
  logger: Logger;
  decisionKeys: DecisionKeys;
  /** How long to wait for the older release to let go of the lock (default 20 s). */
  releaseTimeoutMs?: number;
  /** How often its record is read meanwhile (default 200 ms). */
  pollMs?: number;
}

const RELEASE_TIMEOUT_MS = 20_000;
const POLL_MS = 200;

/**
 * Supersedes `holder` (the release holding the service's lock) on behalf of `by`, who starts
 * `newerReleaseId`. Resolves once the holder's record no longer holds the lock. Throws ConflictError
 * (naming the holder) when the holder's workflow refuses — it no longer waits at a gate, `by` holds
 * deploy in none of its environments, it ended — or does not let go in time.
 */
export async function supersedeHeldRelease(
  deps: SupersessionDeps,
  holder: Pick<ReleaseRow, 'id' | 'environments'>,
  by: Principal,
  newerReleaseId: string,
): Promise<void> {
  const environment =
    holder.environments.find((name) => name === 'production' && by.rolesIn(name).includes('deploy')) ??
    holder.environments.find((name) => by.rolesIn(name).includes('deploy'));
  if (environment === undefined) {
    throw new ConflictError(
      `release ${holder.id} of this service waits at a gate, and ${by.name} holds deploy in none of its environments (${holder.environments.join(', ')}) to supersede it`,
      holder.id,
    );
  }
  const workflows = new WorkflowDecisions(deps);
  try {
    await workflows.submit(
      newClaim({
        releaseId: holder.id,
        gateId: RELEASE_ORDER_GATE,
        actor: by.name,
        roles: by.rolesIn(environment),
        decision: 'supersede',
        comment: newerReleaseId,
      }),
    );
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConflictError(
      `release ${holder.id} of this service could not be superseded: ${reason}`,
      holder.id,
    );
  }
  deps.logger.info({ releaseId: holder.id, supersededBy: newerReleaseId, by: by.name }, 'release superseded');
  await untilLockReleased(deps, holder.id);
}

async function untilLockReleased(deps: SupersessionDeps, id: string): Promise<void> {
  const deadline = Date.now() + (deps.releaseTimeoutMs ?? RELEASE_TIMEOUT_MS);
  for (;;) {
    const record = await getRelease(deps.pool, id);
    if (!record?.holdsLock) return;
    if (Date.now() >= deadline) {
      throw new ConflictError(
        `release ${id} of this service was superseded but still holds the service after ${Math.round((deps.releaseTimeoutMs ?? RELEASE_TIMEOUT_MS) / 1000)} s (is a worker running?); try again shortly`,
        id,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, deps.pollMs ?? POLL_MS));
  }
}
