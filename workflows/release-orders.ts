// Orders about a whole release (R-RB-TRIGGER-MANUAL: roll back, abort) and answers to a guided
// failure (R-GUIDED: retry, skip, roll back, abort). The decision desk has already verified the
// signature, the release, the age and the uniqueness of each claim; here the person's `deploy` role
// is checked against the roster frozen at start, the two-person rule applied to a production
// rollback, and what the release allows at this moment. Pure state, no I/O.
import { verifiedGateRoles } from './approval-quorum.js';
import type {
  DecisionClaim,
  DecisionRefusal,
  GuidedOption,
  PendingDecision,
  ReleaseInput,
  ReleaseState,
  Role,
  RollbackPolicy,
} from './release-model.js';
import { rollbackEnvironment } from './rollback-scope.js';

/** An order that took effect: the workflow stops what it does and acts on it. */
export interface ReleaseOrder {
  kind: 'rollback' | 'abort';
  orderedBy: string[];
  reason: string;
}

export interface GuidedAnswer {
  decision: GuidedOption;
  decidedBy: string;
  reason: string;
}

/** Whether orders are taken now; the workflow says, as the release moves on. */
export type OrderWindow =
  | { open: true; rollbackOnly?: boolean }
  | { open: false; refusal: DecisionRefusal; reason: string };

export type OrderJudgement =
  | { counted: true; missing: Role[] }
  | { counted: false; refusal: DecisionRefusal; reason: string };

const DEPLOY: Role[] = ['deploy'];

export class ReleaseOrders {
  #order: ReleaseOrder | undefined;
  #guided: { pending: PendingDecision; answer?: GuidedAnswer } | undefined;
  #window: OrderWindow = { open: true };

  constructor(
    private readonly input: ReleaseInput,
    private readonly state: ReleaseState,
    private readonly policy: RollbackPolicy,
  ) {}

  setWindow(window: OrderWindow): void {
    this.#window = window;
    if (!window.open) this.state.pendingRollbackOrder = undefined;
  }

  /** The order that took effect, if any. */
  current(): ReleaseOrder | undefined {
    return this.#order;
  }

  openGuided(pending: PendingDecision): void {
    this.#guided = { pending };
    this.state.pendingDecision = pending;
  }

  get guidedAnswer(): GuidedAnswer | undefined {
    return this.#guided?.answer;
  }

  closeGuided(): void {
    this.#guided = undefined;
    this.state.pendingDecision = undefined;
  }

  #eligible(claim: DecisionClaim, environment: string): OrderJudgement | undefined {
    const roster = this.policy.deciders[environment] ?? [];
    if (verifiedGateRoles({ quorum: DEPLOY, roster }, claim.actor, claim.roles).length === 0) {
      return {
        counted: false,
        refusal: 'not-eligible',
        reason: `${claim.actor} does not hold deploy in ${environment}`,
      };
    }
    return undefined;
  }

  /** A rollback or an abort of the whole release. */
  judgeOrder(claim: DecisionClaim): OrderJudgement {
    if (claim.decision !== 'rollback' && claim.decision !== 'abort') {
      return { counted: false, refusal: 'not-eligible', reason: 'a release takes rollback or abort orders' };
    }
    const window = this.#window;
    if (!window.open) return { counted: false, refusal: window.refusal, reason: window.reason };
    if (this.#order) {
      return { counted: false, refusal: 'gate-closed', reason: `a ${this.#order.kind} is already under way` };
    }
    if (window.rollbackOnly && claim.decision === 'abort') {
      return {
        counted: false,
        refusal: 'gate-closed',
        reason: 'the release has succeeded: there is nothing to abort, order a rollback instead',
      };
    }
    const environment = rollbackEnvironment(this.input.plan, this.state);
    const refusal = this.#eligible(claim, environment);
    if (refusal) return refusal;
    const reason = claim.comment ?? '';
    if (claim.decision === 'abort') {
      this.#order = { kind: 'abort', orderedBy: [claim.actor], reason };
      return { counted: true, missing: [] };
    }
    return this.#rollbackOrder(claim, environment, reason);
  }

  #rollbackOrder(claim: DecisionClaim, environment: string, reason: string): OrderJudgement {
    if (!this.policy.twoPersonEnvironments.includes(environment)) {
      this.#order = { kind: 'rollback', orderedBy: [claim.actor], reason };
      return { counted: true, missing: [] };
    }
    const first = this.state.pendingRollbackOrder;
    if (!first) {
      this.state.pendingRollbackOrder = { requestedBy: claim.actor, reason, at: claim.issuedAt, environment };
      return { counted: true, missing: [...DEPLOY] };
    }
    if (first.requestedBy === claim.actor) {
      return {
        counted: false,
        refusal: 'already-decided',
        reason: `${claim.actor} already ordered this rollback; a second person with deploy in ${environment} must confirm it`,
      };
    }
    this.state.pendingRollbackOrder = undefined;
    const reasons = [first.reason, reason].filter((text) => text.length > 0);
    this.#order = {
      kind: 'rollback',
      orderedBy: [first.requestedBy, claim.actor],
      reason: reasons.join('; '),
    };
    return { counted: true, missing: [] };
  }

  /** An answer to the failure waiting for a decision. */
  judgeGuided(claim: DecisionClaim): OrderJudgement {
    const guided = this.#guided;
    if (!guided || guided.answer || guided.pending.gateId !== claim.gateId) {
      return {
        counted: false,
        refusal: 'gate-closed',
        reason: `${claim.gateId} is not waiting for a decision`,
      };
    }
    const refusal = this.#eligible(claim, guided.pending.environment);
    if (refusal) return refusal;
    const decision = claim.decision as GuidedOption;
    if (!guided.pending.options.includes(decision)) {
      return {
        counted: false,
        refusal: 'not-allowed',
        reason: `${claim.decision} is not allowed here; choose one of ${guided.pending.options.join(', ')}`,
      };
    }
    guided.answer = { decision, decidedBy: claim.actor, reason: claim.comment ?? '' };
    return { counted: true, missing: [] };
  }
}
