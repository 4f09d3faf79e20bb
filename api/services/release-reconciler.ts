// Keeps records honest about workflows that ended without saying so (R-RECORD): terminated or timed
// out in Temporal (the record becomes `abandoned`, not `cancelled`, which would claim a
// compensation), ended without their last write reaching PostgreSQL (the record takes the
// workflow's own outcome), gone from Temporal, or never started at all (the API died between the
// record and the start). Runs on read and at start-up.
import { type Client, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type pg from 'pg';
import { abandonUnclaimed, closeRelease, listUnfinished, type ReleaseRow } from '../../db/release-records.js';
import type { Logger } from '../../logging/logger.js';
import type { ReleaseFailure, ReleaseOutcome, ReleaseStatus } from '../../workflows/release-model.js';

/**
 * How long a record may wait for its workflow's first write before it counts as never started. The
 * workflow's claim and this take-over are atomic in PostgreSQL, so a start slower than this ends its
 * workflow `abandoned` without effects, never a second release at once.
 */
export const START_GRACE_SECONDS = 120;
const TEMPORAL_TIMEOUT_MS = 3_000;

type Closing = { status: ReleaseStatus; failure: ReleaseFailure | null } | undefined;

export class ReleaseReconciler {
  constructor(private readonly deps: { client: Client; pool: pg.Pool; logger: Logger }) {}

  /**
   * Brings one open record in line with its workflow; true when the record was closed. Never
   * throws: a record that cannot be checked now is left for the next read or start-up.
   */
  async reconcile(
    row: Pick<ReleaseRow, 'id' | 'finishedAt' | 'claimedAt' | 'status'> & Partial<Pick<ReleaseRow, 'runId'>>,
  ): Promise<boolean> {
    if (row.finishedAt) return false;
    try {
      return await this.#reconcile(row);
    } catch (error) {
      this.deps.logger.warn({ releaseId: row.id, err: String(error) }, 'could not reconcile a release');
      return false;
    }
  }

  /** Start-up pass over every open record. */
  async reconcileAll(): Promise<number> {
    let closed = 0;
    for (const row of await listUnfinished(this.deps.pool)) {
      if (await this.reconcile(row)) closed += 1;
    }
    return closed;
  }

  async #reconcile(
    row: Pick<ReleaseRow, 'id' | 'claimedAt' | 'status'> & Partial<Pick<ReleaseRow, 'runId'>>,
  ): Promise<boolean> {
    let closing: Closing;
    try {
      closing = await this.#closingFor(row.id, row.runId ?? undefined);
      // A succeeded release kept open for a later rollback stays succeeded whatever ends its workflow.
      if (closing && row.status === 'succeeded' && closing.status !== 'rolled-back') {
        closing = { status: 'succeeded', failure: null };
      }
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      if (row.claimedAt === null) {
        const abandoned = await abandonUnclaimed(this.deps.pool, row.id, START_GRACE_SECONDS);
        if (abandoned)
          this.deps.logger.warn({ releaseId: row.id }, 'closed the record of a release that never started');
        return abandoned;
      }
      // Its workflow ran and is gone (deleted, or past the namespace's retention).
      closing = {
        status: 'abandoned',
        failure: { step: 'workflow', reason: 'its workflow no longer exists in Temporal' },
      };
    }
    if (!closing) return false;
    const closed = await closeRelease(this.deps.pool, row.id, closing.status, closing.failure);
    if (closed)
      this.deps.logger.warn({ releaseId: row.id, status: closing.status }, 'reconciled a release record');
    return closed;
  }

  /**
   * The run the record holds, when it knows it: a later run under the same id (someone's re-run,
   * refused by the workers) says nothing about the release.
   */
  async #closingFor(id: string, runId: string | undefined): Promise<Closing> {
    const { client } = this.deps;
    const handle = client.workflow.getHandle(id, runId);
    const description = await client.withDeadline(Date.now() + TEMPORAL_TIMEOUT_MS, () => handle.describe());
    switch (description.status.name) {
      case 'COMPLETED':
      case 'FAILED':
        return this.#outcomeOf(handle);
      case 'TERMINATED':
        return {
          status: 'abandoned',
          failure: { step: 'workflow', reason: 'its workflow was terminated outside Runway' },
        };
      case 'TIMED_OUT':
        return { status: 'abandoned', failure: { step: 'workflow', reason: 'its workflow timed out' } };
      case 'CANCELLED':
        return { status: 'cancelled', failure: null };
      default:
        // Running, continued, paused or unknown: the workflow still owns its record.
        return undefined;
    }
  }

  /** A workflow that completed or failed on its own says how its release ended. */
  async #outcomeOf(handle: ReturnType<Client['workflow']['getHandle']>): Promise<Closing> {
    const { client } = this.deps;
    try {
      const outcome = (await client.withDeadline(Date.now() + TEMPORAL_TIMEOUT_MS, () =>
        handle.result(),
      )) as ReleaseOutcome;
      return { status: outcome.status, failure: outcome.failure ?? null };
    } catch (error) {
      const cause = error instanceof WorkflowFailedError ? error.cause : undefined;
      if (!cause) throw error;
      const outcome =
        cause instanceof ApplicationFailure ? (cause.details?.[0] as ReleaseOutcome | undefined) : undefined;
      if (outcome?.status) return { status: outcome.status, failure: outcome.failure ?? null };
      return { status: 'failed', failure: { step: 'workflow', reason: cause.message } };
    }
  }
}
