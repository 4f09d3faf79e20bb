// Passing an approver's decision to the workflow (R-APPROVE). The API signs what it vouches for
// (who, which release and gate, what, when, once) and asks the workflow through an update; the
// answer is the workflow's own verdict, so a decision is never acknowledged and then dropped.
import { randomUUID } from 'node:crypto';
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { RunwayConfig } from '../../config/config-schema.js';
import type { Logger } from '../../logging/logger.js';
import { type DecisionKeys, signClaim } from '../../security/decision-signature.js';
import { missingSeats } from '../../workflows/approval-quorum.js';
import { judgeDecision as judgeLegacyDecision } from '../../workflows/legacy/approval-quorum-v1.js';
import {
  approvalSignal as legacyApprovalSignal,
  releaseStateQuery as legacyStateQuery,
} from '../../workflows/legacy/release-messages-v1.js';
import { decideUpdate, releaseStateQuery } from '../../workflows/release-messages.js';
import type { DecisionClaim, DecisionRefusal, PendingGate, Role } from '../../workflows/release-model.js';
import type { Principal } from '../principal.js';
import { ConflictError, ForbiddenError, NotFoundError, UnavailableError } from '../service-errors.js';
import { type ReleaseReader, type ReleaseView, readableEnvironments } from './release-reader.js';

export interface DecisionRequest {
  decision: 'approve' | 'reject';
  comment?: string;
}

export interface DecisionAnswer {
  counted: true;
  missing: Role[];
}

/** How long the API waits for a worker to judge a decision before answering 503. */
const UPDATE_TIMEOUT_MS = 15_000;
const QUERY_TIMEOUT_MS = 3_000;

const FORBIDDEN_REFUSALS: readonly DecisionRefusal[] = ['requester', 'not-eligible'];
const CONFLICT_REFUSALS: readonly DecisionRefusal[] = [
  'already-decided',
  'seats-taken',
  'gate-closed',
  'replayed',
];

export class ReleaseDecisions {
  constructor(
    private readonly deps: {
      client: Client;
      config: RunwayConfig;
      logger: Logger;
      reader: ReleaseReader;
      decisionKeys: DecisionKeys;
    },
  ) {}

  /**
   * `at` says which kind of gate the caller means: an approval gate, or the override of a release
   * window (two admins, a reason). The other kind open at the moment is a 409.
   */
  async decide(
    id: string,
    approver: Principal,
    request: DecisionRequest,
    at: 'approval' | 'window' = 'approval',
  ): Promise<DecisionAnswer> {
    const release = await this.deps.reader.getForAction(id);
    if (!release || readableEnvironments(approver, release.environments).length === 0) {
      throw new NotFoundError(`no release ${id}`);
    }
    if (release.finishedAt) throw new ConflictError(`release ${id} has ended (${release.status})`);
    if (release.workflowType === 'releaseWorkflow' && at === 'approval') {
      return this.#decideLegacy(release, approver, request);
    }
    const gate = release.pendingGate ?? (await this.#liveGate(id));
    const gateKind = gate && release.plan.steps.find((step) => step.id === gate.gateId)?.kind;
    if (!gate || gateKind !== at) {
      const waitingFor = at === 'approval' ? 'approval' : 'a release window';
      throw new ConflictError(`release ${id} is not waiting for ${waitingFor} (status ${release.status})`);
    }
    const claim: DecisionClaim = {
      v: 1,
      decisionId: randomUUID(),
      releaseId: id,
      gateId: gate.gateId,
      actor: approver.name,
      roles: approver.rolesIn(gate.environment),
      decision: request.decision,
      ...(request.comment === undefined ? {} : { comment: request.comment }),
      issuedAt: new Date().toISOString(),
    };
    const verdict = await this.#ask(id, claim);
    this.deps.logger.info(
      { releaseId: id, approver: approver.name, decision: request.decision, outcome: verdict.outcome },
      'decision judged by the workflow',
    );
    if (verdict.outcome === 'counted') return { counted: true, missing: verdict.missing };
    if (FORBIDDEN_REFUSALS.includes(verdict.refusal)) throw new ForbiddenError(verdict.reason);
    if (CONFLICT_REFUSALS.includes(verdict.refusal)) throw new ConflictError(verdict.reason);
    // The workflow could not verify what this API signed: the two disagree on their keys.
    throw new Error(
      `the workflow refused this API's signed decision (${verdict.refusal}: ${verdict.reason}); check that the API and the workers share RUNWAY_DECISION_KEYS`,
    );
  }

  async #ask(id: string, claim: DecisionClaim) {
    const { client } = this.deps;
    const handle = client.workflow.getHandle(id);
    const signed = signClaim(this.deps.decisionKeys, claim);
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

  /** The gate as the workflow sees it now, when the record has not caught up yet. */
  async #liveGate(id: string): Promise<PendingGate | null> {
    const { client } = this.deps;
    try {
      const state = await client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
        client.workflow.getHandle(id).query(releaseStateQuery),
      );
      return state.pendingGate ?? null;
    } catch {
      return null;
    }
  }

  /**
   * A release started by the frozen v1 engine takes the unsigned v1 signal, judged here first with
   * v1's rules (the v1 workflow judges again). Such releases predate signed decisions.
   */
  async #decideLegacy(
    release: ReleaseView,
    approver: Principal,
    request: DecisionRequest,
  ): Promise<DecisionAnswer> {
    const { client } = this.deps;
    const handle = client.workflow.getHandle(release.id);
    const state = await client
      .withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(legacyStateQuery))
      .catch(() => undefined);
    const gate = state?.pendingGate ?? release.pendingGate;
    if (!gate) throw new ConflictError(`release ${release.id} is not waiting for approval`);
    const signal = {
      gateId: gate.gateId,
      approver: approver.name,
      roles: approver.rolesIn(gate.environment),
      ...request,
    };
    // A v1 release's gates only ever have approver seats.
    const verdict = judgeLegacyDecision(
      gate as Parameters<typeof judgeLegacyDecision>[0],
      signal,
      release.requestedBy,
    );
    if (!verdict.accepted) {
      const isRoleProblem = verdict.refusal === 'requester' || verdict.refusal === 'not-eligible';
      throw isRoleProblem ? new ForbiddenError(verdict.reason) : new ConflictError(verdict.reason);
    }
    await handle.signal(legacyApprovalSignal, signal).catch((error: unknown) => {
      if (error instanceof WorkflowNotFoundError)
        throw new ConflictError(`release ${release.id} is no longer running`);
      throw error;
    });
    const missing =
      verdict.kind === 'approval'
        ? missingSeats(
            gate.quorum,
            Object.values(verdict.seats).map((seat) => ({ seat })),
          )
        : [];
    return { counted: true, missing };
  }
}
