// Orders about a whole release (R-RB-TRIGGER-MANUAL: roll back, abort; R-EXPIRE: supersede), the
// post-hoc documentation link (R-POSTHOC) and answers to a guided failure (R-GUIDED: retry, skip,
// roll back, abort). The decision desk has already verified the
// signature, the release, the age and the uniqueness of each claim; here the person's `deploy` role
// is checked against the roster frozen at start, the two-person rule applied (release-rules.ts: to
// every order that undoes a two-person environment, whatever its path; releases started before those
// rules apply it to a production rollback only), and what the release allows at this moment. Pure
// state, no I/O.
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
import {
  environmentsUndone,
  FIRST_HALF_LIFETIME_MS,
  RELEASE_ORDER_GATE,
  SUPERSEDABLE_STATUSES,
  twoPersonEnvironmentsAmong,
  type UndoScope,
} from './release-rules.js';
import { rollbackEnvironment } from './rollback-scope.js';

/** An order that took effect: the workflow stops what it does and acts on it. */
export interface ReleaseOrder {
  /** `supersede`: a newer release of the service replaces this one while it waits at a gate. */
  kind: 'rollback' | 'abort' | 'supersede';
  orderedBy: string[];
  /** For `supersede`, the newer release's id. */
  reason: string;
  /** The environment it was ordered in (who may read why). */
  environment?: string;
}

export interface GuidedAnswer {
  decision: GuidedOption;
  decidedBy: string;
  reason: string;
  /** Nobody answered within the gate's lifetime (R-EXPIRE): taken as an abort. */
  expired?: boolean;
}

/** A documentation link: http or https, no spaces (the API checks it as a URL too). */
const LINK = /^https?:\/\/[^\s/?#]+[^\s]*$/;

/** Whether orders are taken now; the workflow says, as the release moves on. */
export type OrderWindow =
  | { open: true; rollbackOnly?: boolean }
  | { open: false; refusal: DecisionRefusal; reason: string };

export type OrderJudgement =
  | { counted: true; missing: Role[]; environment?: string }
  | { counted: false; refusal: DecisionRefusal; reason: string; environment?: string };

/** A first half that lapsed, for the desk to record (and the audit trail to keep). */
export interface LapsedFirstHalf {
  requestedBy: string;
  kind: 'rollback' | 'abort';
  gateId: string;
  environment: string;
  reason: string;
}

const DEPLOY: Role[] = ['deploy'];

export class ReleaseOrders {
  #order: ReleaseOrder | undefined;
  #guided: { pending: PendingDecision; answer?: GuidedAnswer } | undefined;
  #window: OrderWindow = { open: true };

  constructor(
    private readonly input: ReleaseInput,
    private readonly state: ReleaseState,
    private readonly policy: RollbackPolicy,
    /** `current`: the rules of release-rules.ts; otherwise those the release started with. */
    private readonly rules: { current: boolean } = { current: false },
  ) {}

  /** Told of a first half that lapses as the window closes, to record it (the desk). */
  onLapse: ((lapsed: LapsedFirstHalf) => void) | undefined;

  setWindow(window: OrderWindow): void {
    this.#window = window;
    if (window.open) return;
    // Under the current rules a first half that can no longer be completed lapses on the record.
    const lapsed = this.rules.current
      ? this.lapseFirstHalf(Date.now(), `${window.reason} before a second person ordered it: it lapsed`)
      : undefined;
    if (lapsed) this.onLapse?.(lapsed);
    this.state.pendingRollbackOrder = undefined;
  }

  /**
   * The first half of a two-person order lapses past its lifetime or when the release's status has
   * changed since it was given (release-rules.ts). Returns what lapsed, for the record; undefined when
   * nothing did (or the release keeps the rules it started with, where it waits for ever).
   */
  lapseFirstHalf(now: number, because?: string): LapsedFirstHalf | undefined {
    const first = this.state.pendingRollbackOrder;
    if (!this.rules.current || !first?.since) return undefined;
    const expired = now - Date.parse(first.since) >= FIRST_HALF_LIFETIME_MS;
    const moved = first.status !== undefined && first.status !== this.state.status;
    if (!expired && !moved && because === undefined) return undefined;
    this.state.pendingRollbackOrder = undefined;
    return {
      requestedBy: first.requestedBy,
      kind: first.kind ?? 'rollback',
      gateId: first.gateId ?? RELEASE_ORDER_GATE,
      environment: first.environment,
      reason:
        because ??
        (expired
          ? `no second person ordered it within ${FIRST_HALF_LIFETIME_MS / 60_000} minutes: it lapsed`
          : `the release moved on (${first.status} → ${this.state.status}) before a second person ordered it: it lapsed`),
    };
  }

  /** The order that took effect, if any. */
  current(): ReleaseOrder | undefined {
    return this.#order;
  }

  /** How many failures have waited for a decision so far. */
  guidedWaits = 0;

  openGuided(pending: PendingDecision): void {
    this.guidedWaits += 1;
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
    if (refusal) return { ...refusal, environment };
    const reason = claim.comment ?? '';
    if (this.rules.current) {
      // A rollback undoes everything recorded; an abort, what was done where the release is.
      const scope: UndoScope =
        claim.decision === 'rollback'
          ? { kind: 'everything' }
          : { kind: 'environment', environment: this.state.environment ?? environment };
      const judged = this.#undoOrder(claim, claim.decision, RELEASE_ORDER_GATE, scope, environment);
      if (judged.counted && judged.missing.length === 0) {
        this.#order = {
          kind: claim.decision,
          orderedBy: judged.orderedBy,
          reason: judged.reason,
          environment,
        };
      }
      return { ...judged.answer, environment };
    }
    if (claim.decision === 'abort') {
      this.#order = { kind: 'abort', orderedBy: [claim.actor], reason };
      return { counted: true, missing: [], environment };
    }
    return { ...this.#rollbackOrder(claim, environment, reason), environment };
  }

  /**
   * An order that undoes `scope`: from one person, unless it undoes a two-person environment; then the
   * first person's order waits (it lapses, see lapseFirstHalf) for a second, distinct person holding
   * deploy in every two-person environment it undoes. Counted with `missing: []` once it may take effect.
   */
  #undoOrder(
    claim: DecisionClaim,
    kind: 'rollback' | 'abort',
    gateId: string,
    scope: UndoScope,
    environment: string,
  ):
    | { counted: true; missing: Role[]; orderedBy: string[]; reason: string; answer: OrderJudgement }
    | { counted: false; missing: Role[]; answer: OrderJudgement } {
    const reason = claim.comment ?? '';
    const guarded = twoPersonEnvironmentsAmong(
      environmentsUndone(this.state.rollbackPlan, scope),
      this.policy,
    );
    for (const where of guarded) {
      const refusal = this.#eligible(claim, where);
      if (refusal) return { counted: false, missing: [], answer: refusal };
    }
    if (guarded.length === 0) {
      return {
        counted: true,
        missing: [],
        orderedBy: [claim.actor],
        reason,
        answer: { counted: true, missing: [] },
      };
    }
    const first = this.state.pendingRollbackOrder;
    if (!first) {
      this.state.pendingRollbackOrder = {
        requestedBy: claim.actor,
        reason,
        at: claim.issuedAt,
        environment: guarded[0] ?? environment,
        kind,
        gateId,
        status: this.state.status,
        since: new Date().toISOString(),
      };
      return {
        counted: true,
        missing: [...DEPLOY],
        orderedBy: [],
        reason,
        answer: { counted: true, missing: [...DEPLOY] },
      };
    }
    if ((first.kind ?? 'rollback') !== kind || (first.gateId ?? RELEASE_ORDER_GATE) !== gateId) {
      const answer: OrderJudgement = {
        counted: false,
        refusal: 'gate-closed',
        reason: `a ${first.kind ?? 'rollback'} ordered by ${first.requestedBy} waits for a second person; order that, or let it lapse`,
      };
      return { counted: false, missing: [], answer };
    }
    if (first.requestedBy === claim.actor) {
      const answer: OrderJudgement = {
        counted: false,
        refusal: 'already-decided',
        reason: `${claim.actor} already ordered this ${kind}; a second person with deploy in ${guarded.join(', ')} must order it too`,
      };
      return { counted: false, missing: [], answer };
    }
    this.state.pendingRollbackOrder = undefined;
    const reasons = [first.reason, reason].filter((text) => text.length > 0).join('; ');
    return {
      counted: true,
      missing: [],
      orderedBy: [first.requestedBy, claim.actor],
      reason: reasons,
      answer: { counted: true, missing: [] },
    };
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
    const environment = guided.pending.environment;
    const refusal = this.#eligible(claim, environment);
    if (refusal) return { ...refusal, environment };
    const decision = claim.decision as GuidedOption;
    if (!guided.pending.options.includes(decision)) {
      return {
        counted: false,
        refusal: 'not-allowed',
        reason: `${claim.decision} is not allowed here; choose one of ${guided.pending.options.join(', ')}`,
        environment,
      };
    }
    if (this.rules.current && (decision === 'rollback' || decision === 'abort')) {
      // A guided rollback undoes everything; a guided abort of a failed step, that step's environment;
      // of a failed compensation, nothing more (it stops the undoing).
      const scope: UndoScope =
        decision === 'rollback'
          ? { kind: 'everything' }
          : guided.pending.kind === 'step'
            ? { kind: 'environment', environment }
            : { kind: 'nothing' };
      const judged = this.#undoOrder(claim, decision, guided.pending.gateId, scope, environment);
      if (judged.counted && judged.missing.length === 0) {
        guided.answer = { decision, decidedBy: judged.orderedBy.join(' and '), reason: judged.reason };
      }
      return { ...judged.answer, environment };
    }
    guided.answer = { decision, decidedBy: claim.actor, reason: claim.comment ?? '' };
    return { counted: true, missing: [], environment };
  }
}
