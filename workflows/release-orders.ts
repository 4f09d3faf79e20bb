// Orders about a whole release (R-RB-TRIGGER-MANUAL: roll back, abort; R-EXPIRE: supersede), the
// post-hoc documentation link (R-POSTHOC) and answers to a guided failure (R-GUIDED: retry, skip,
// roll back, abort). The decision desk has already verified the
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
  ReleaseStatus,
  Role,
  RollbackPolicy,
} from './release-model.js';
import { rollbackEnvironment } from './rollback-scope.js';

/** An order that took effect: the workflow stops what it does and acts on it. */
export interface ReleaseOrder {
  /** `supersede`: a newer release of the service replaces this one while it waits at a gate. */
  kind: 'rollback' | 'abort' | 'supersede';
  orderedBy: string[];
  /** For `supersede`, the newer release's id. */
  reason: string;
}

export interface GuidedAnswer {
  decision: GuidedOption;
  decidedBy: string;
  reason: string;
  /** Nobody answered within the gate's lifetime (R-EXPIRE): taken as an abort. */
  expired?: boolean;
}

/** Where a release waits for people and has changed nothing in production since (R-EXPIRE). */
const SUPERSEDABLE_STATUSES: readonly ReleaseStatus[] = ['awaiting-approval', 'waiting-window'];

/** A documentation link: http or https, no spaces (the API checks it as a URL too). */
const LINK = /^https?:\/\/[^\s/?#]+[^\s]*$/;

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

  /** A rollback, an abort or a supersession of the whole release, or its documentation link. */
  judgeOrder(claim: DecisionClaim): OrderJudgement {
    if (claim.decision === 'document') return this.#judgeDocument(claim);
    if (claim.decision === 'supersede') return this.#judgeSupersede(claim);
    if (claim.decision !== 'rollback' && claim.decision !== 'abort') {
      return {
        counted: false,
        refusal: 'not-eligible',
        reason: 'a release takes rollback, abort, supersede or document orders',
      };
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

  /**
   * A newer release of the service replaces this one (R-EXPIRE): only while it waits at a gate, so
   * production is untouched; someone with deploy in one of the release's environments orders it.
   */
  #judgeSupersede(claim: DecisionClaim): OrderJudgement {
    const window = this.#window;
    if (!window.open) return { counted: false, refusal: window.refusal, reason: window.reason };
    if (this.#order) {
      return { counted: false, refusal: 'gate-closed', reason: `a ${this.#order.kind} is already under way` };
    }
    const newer = claim.comment?.trim() ?? '';
    if (!this.input.plan.oversight || newer.length === 0) {
      return {
        counted: false,
        refusal: 'not-allowed',
        reason: this.input.plan.oversight
          ? 'a supersede order names the newer release in its comment'
          : `release ${this.input.releaseId} started before supersession existed`,
      };
    }
    if (!SUPERSEDABLE_STATUSES.includes(this.state.status)) {
      return {
        counted: false,
        refusal: 'gate-closed',
        reason: `release ${this.input.releaseId} is not waiting at a gate (it is ${this.state.status}): it can no longer be superseded`,
      };
    }
    const environments = Object.keys(this.policy.deciders);
    const eligible = environments.some((environment) => this.#eligible(claim, environment) === undefined);
    if (!eligible) {
      return {
        counted: false,
        refusal: 'not-eligible',
        reason: `${claim.actor} holds deploy in none of ${environments.join(', ')}`,
      };
    }
    this.#order = { kind: 'supersede', orderedBy: [claim.actor], reason: newer };
    return { counted: true, missing: [] };
  }

  /**
   * The post-hoc documentation or incident-review link (R-POSTHOC): from the requester or someone with
   * deploy in production, once, while the release owes it.
   */
  #judgeDocument(claim: DecisionClaim): OrderJudgement {
    const owed = this.state.postHoc;
    if (!owed || this.state.status !== 'awaiting-docs') {
      return {
        counted: false,
        refusal: 'gate-closed',
        reason: `release ${this.input.releaseId} owes no documentation (it is ${this.state.status})`,
      };
    }
    if (owed.attached) {
      return {
        counted: false,
        refusal: 'already-decided',
        reason: `release ${this.input.releaseId} already has its ${owed.duty}: ${owed.attached.link}`,
      };
    }
    const [link = '', ...noteLines] = (claim.comment ?? '').split('\n');
    if (!LINK.test(link)) {
      return {
        counted: false,
        refusal: 'not-allowed',
        reason: 'the documentation must be an http or https link',
      };
    }
    if (claim.actor !== this.input.requestedBy && this.#eligible(claim, 'production')) {
      return {
        counted: false,
        refusal: 'not-eligible',
        reason: `${claim.actor} is neither the requester nor holds deploy in production`,
      };
    }
    const note = noteLines.join('\n').trim();
    owed.attached = { link, by: claim.actor, at: new Date().toISOString(), ...(note ? { note } : {}) };
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
