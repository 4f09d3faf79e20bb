// How every decision reaches a release's workflow (R-APPROVE, R-RB-TRIGGER-MANUAL, R-GUIDED): the API
// signs what it vouches for (who, which release and gate, what, when, once) and asks the workflow
// through an update; the answer is the workflow's own verdict, so a decision is never acknowledged
// and then dropped. Approvals, window overrides, rollback and abort orders and guided decisions all
// go through here, so they are judged, refused and answered alike.
import { randomUUID } from 'node:crypto';
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Logger } from '../../logging/logger.js';
import { type DecisionKeys, signClaim } from '../../security/decision-signature.js';
import { decideUpdate, releaseStateQuery } from '../../workflows/release-messages.js';
import type {
  DecisionClaim,
  DecisionRefusal,
  DecisionVerdict,
  ReleaseState,
} from '../../workflows/release-model.js';
import { ConflictError, ForbiddenError, UnavailableError } from '../service-errors.js';

/** How long the API waits for a worker to judge a decision before answering 503. */
const UPDATE_TIMEOUT_MS = 15_000;
/** How long the API waits for a workflow to answer a query about its state. */
export const QUERY_TIMEOUT_MS = 3_000;

/** Refusals about who the caller is: 403. */
const FORBIDDEN_REFUSALS: readonly DecisionRefusal[] = ['requester', 'not-eligible', 'not-allowed'];
/** Refusals about the moment: 409. */
const CONFLICT_REFUSALS: readonly DecisionRefusal[] = [
  'already-decided',
  'seats-taken',
  'gate-closed',
  'replayed',
  'rollback-closed',
];

export type CountedVerdict = Extract<DecisionVerdict, { outcome: 'counted' }>;

/** What the caller decides; the rest of the claim (id, time, version) is filled in here. */
export type ClaimFields = Omit<DecisionClaim, 'v' | 'decisionId' | 'issuedAt'>;

export function newClaim(fields: ClaimFields): DecisionClaim {
  const { comment, ...rest } = fields;
  return {
    v: 1,
    // Fresh per request, as the update id: a retried update is answered once by the workflow.
    decisionId: randomUUID(),
    ...rest,
    ...(comment === undefined ? {} : { comment }),
    issuedAt: new Date().toISOString(),
  };
}

export class WorkflowDecisions {
  constructor(
    private readonly deps: {
      client: Client;
      logger: Logger;
      decisionKeys: DecisionKeys;
      /** Milliseconds now: when each signed decision is issued (tests run on a server clock of their own). */
      clock?: () => number;
    },
  ) {}

  /**
   * Signs the claim and asks the release's workflow. Returns the verdict when it counted; otherwise
   * throws what the refusal means to the caller: 403 (who they are), 409 (the moment), 503 (no worker
   * answered in time) or a plain error (the API and the workers disagree on their keys).
   */
  async submit(claim: DecisionClaim): Promise<CountedVerdict> {
    const verdict = await this.#ask(claim);
    this.deps.logger.info(
      {
        releaseId: claim.releaseId,
        actor: claim.actor,
        gateId: claim.gateId,
        decision: claim.decision,
        outcome: verdict.outcome,
      },
      'decision judged by the workflow',
    );
    if (verdict.outcome === 'counted') return verdict;
    if (FORBIDDEN_REFUSALS.includes(verdict.refusal)) throw new ForbiddenError(verdict.reason);
    if (CONFLICT_REFUSALS.includes(verdict.refusal)) throw new ConflictError(verdict.reason);
    // The workflow could not verify what this API signed: the two disagree on their keys.
    throw new Error(
      `the workflow refused this API's signed decision (${verdict.refusal}: ${verdict.reason}); check that the API and the workers share RUNWAY_DECISION_KEYS`,
    );
  }

  /** The release as its workflow sees it now (the record may lag); undefined when it does not answer. */
  async liveState(id: string): Promise<ReleaseState | undefined> {
    const { client } = this.deps;
    try {
      return await client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
        client.workflow.getHandle(id).query(releaseStateQuery),
      );
    } catch {
      return undefined;
    }
  }

  async #ask(claim: DecisionClaim): Promise<DecisionVerdict> {
    const { client } = this.deps;
    const id = claim.releaseId;
    const handle = client.workflow.getHandle(id);
    const issuedAt = new Date((this.deps.clock ?? Date.now)()).toISOString();
    const signed = signClaim(this.deps.decisionKeys, { ...claim, issuedAt });
    const deadline = AbortSignal.timeout(UPDATE_TIMEOUT_MS);
    try {
      return await client.withAbortSignal(deadline, () =>
        handle.executeUpdate(decideUpdate, { args: [signed], updateId: claim.decisionId }),
      );
    } catch (error) {
      if (error instanceof WorkflowNotFoundError)
        throw new ConflictError(`release ${id} is no longer running`);
      if (error instanceof WorkflowUpdateFailedError)
        throw new ConflictError(
          `release ${id} refused the decision: ${error.cause?.message ?? error.message}`,
        );
      if (await this.#hasEnded(id)) throw new ConflictError(`release ${id} is no longer running`);
      if (deadline.aborted) {
        throw new UnavailableError(
          `no worker judged the decision within ${UPDATE_TIMEOUT_MS / 1000} s; it may still be counted once a worker runs — read the release before deciding again`,
        );
      }
      throw error;
    }
  }

  async #hasEnded(id: string): Promise<boolean> {
    const description = await this.deps.client.workflow
      .getHandle(id)
      .describe()
      .catch(() => undefined);
    return description !== undefined && description.status.name !== 'RUNNING';
  }
}
