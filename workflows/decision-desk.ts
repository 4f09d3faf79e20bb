// Where approval decisions and confirmations of manual checklist items arrive (R-APPROVE, R-SOD,
// R-TWO-PERSON, R-CHECKLIST). A decision counts only when the workflow itself has verified that the
// API signed it (who, which release, which gate, what, when, once) and the person holds the seat's
// role on the roster frozen at start. Everything else is refused and recorded with who claimed what
// and why. Decisions are judged one at a time, so a decision arriving as the last seat fills is
// answered "gate closed", never silently dropped.
import { CancellationScope, condition, log, sleep } from '@temporalio/workflow';
import { decisionActivities } from './activity-proxies.js';
import { judgeConfirmation, judgeDecision, missingSeats, verifiedGateRoles } from './approval-quorum.js';
import { markdownText } from './markdown-text.js';
import { untrustedOrigin } from './payload-origin.js';
import type { RecordWriter } from './record-writer.js';
import {
  type ApprovalPlanStep,
  DECISION_KINDS,
  type DecisionClaim,
  type DecisionRecord,
  type DecisionRefusal,
  type DecisionVerdict,
  type PendingGate,
  RELEASE_ORDER_GATE,
  type ReleaseInput,
  type ReleaseState,
  type Role,
  type SignedDecision,
} from './release-model.js';
import { type LapsedFirstHalf, ReleaseOrders } from './release-orders.js';
import {
  decisionEnvironment,
  FIRST_HALF_LIFETIME_MS,
  GUIDED_GATE_PREFIX,
  isGateStep,
} from './release-rules.js';
import { Serial } from './serial.js';

/** A claim older than this when it reaches the workflow is refused: signed decisions are not kept for later. */
const CLAIM_LIFETIME_MS = 15 * 60_000;
/** Clocks of the API's host and the Temporal server may differ a little. */
const CLOCK_SKEW_MS = 2 * 60_000;
/** Decisions kept in the workflow's state (the record keeps every one): a flood cannot bloat it. */
const DECISIONS_KEPT = 200;

export type GateOutcome = { approved: true } | { approved: false; rejectedBy: string; comment?: string };

/** A gate people decide at: an approval step, or the override of a window wait. */
export type GateSpec = Pick<ApprovalPlanStep, 'id' | 'name' | 'environment' | 'quorum' | 'roster'> & {
  /** A window override can only be confirmed: a "reject" there is refused, never ends the release. */
  acceptsRejection: boolean;
  /**
   * What answers it: `approve` (and `reject`) at approval gates and window overrides, `confirm` at a
   * manual checklist item (R-CHECKLIST). Neither is taken at the other kind of gate.
   */
  answeredBy?: 'approve' | 'confirm';
};

interface OpenGate {
  step: GateSpec;
  pending: PendingGate;
  outcome?: GateOutcome;
}

const isString = (value: unknown): value is string => typeof value === 'string';

export { GUIDED_GATE_PREFIX } from './release-rules.js';

const isOrderGate = (gateId: string) =>
  gateId === RELEASE_ORDER_GATE || gateId.startsWith(GUIDED_GATE_PREFIX);

/**
 * A claimed name in an activity summary, which Temporal Web renders as markdown: whoever sends a
 * signal writes it, so it is escaped and kept short (R-INPUT). Configured names pass unchanged.
 */
const shown = (claimed: string): string => markdownText(claimed, 64);

/** Parses a signed decision's claim; throws (the update's validator then rejects it) when malformed. */
export function parseClaim(signed: SignedDecision): DecisionClaim {
  if (!signed || !isString(signed.claim) || !isString(signed.keyId) || !isString(signed.signature)) {
    throw new Error('a decision needs claim, keyId and signature strings');
  }
  const claim = JSON.parse(signed.claim) as Partial<DecisionClaim>;
  const valid =
    claim.v === 1 &&
    isString(claim.decisionId) &&
    isString(claim.releaseId) &&
    isString(claim.gateId) &&
    isString(claim.actor) &&
    Array.isArray(claim.roles) &&
    claim.roles.every(isString) &&
    (DECISION_KINDS as readonly unknown[]).includes(claim.decision) &&
    (claim.comment === undefined || isString(claim.comment)) &&
    isString(claim.issuedAt) &&
    !Number.isNaN(Date.parse(claim.issuedAt));
  if (!valid) throw new Error('the claim is not a version 1 decision claim');
  return claim as DecisionClaim;
}

export class DecisionDesk {
  #gate: OpenGate | undefined;
  readonly #serial = new Serial();
  readonly #usedDecisionIds = new Set<string>();
  #seq = 0;
  /** Rollback and abort orders and guided decisions; only for plans that have a rollback policy. */
  readonly orders: ReleaseOrders | undefined;

  constructor(
    private readonly input: ReleaseInput,
    private readonly state: ReleaseState,
    private readonly writer: RecordWriter,
    /**
     * `refuseUnsealed`: a decision that did not arrive sealed with Runway's payload key is refused
     * and recorded, whatever it claims (releases started before the trust boundary take them).
     */
    private readonly options: { refuseUnsealed: boolean; rules?: { current: boolean } } = {
      refuseUnsealed: false,
    },
  ) {
    this.orders = input.plan.rollback
      ? new ReleaseOrders(input, state, input.plan.rollback, options.rules)
      : undefined;
    if (this.orders) this.orders.onLapse = (lapsed) => this.#recordLapse(lapsed);
  }

  /**
   * The update's validator: synchronous, writes nothing. It rejects only what can be judged from the
   * message itself (malformed, a gate the plan does not have); every other refusal is recorded — an
   * unsealed decision too, so the handler can record it.
   */
  validate(signed: SignedDecision): void {
    if (this.#unsealed(signed)) return;
    const claim = parseClaim(signed);
    if (this.orders && isOrderGate(claim.gateId)) return;
    const gate = this.input.plan.steps.find((step) => step.id === claim.gateId && isGateStep(step));
    if (!gate) throw new Error(`release ${this.input.releaseId} has no gate ${claim.gateId}`);
  }

  open(step: GateSpec): PendingGate {
    const pending: PendingGate = {
      gateId: step.id,
      name: step.name,
      environment: step.environment,
      quorum: [...step.quorum],
      approvals: [],
      missing: [...step.quorum],
    };
    this.#gate = { step, pending };
    return pending;
  }

  /** Waits until the open gate is decided; cancellable, like any wait for people. */
  async outcome(): Promise<GateOutcome> {
    await condition(() => this.#gate?.outcome !== undefined);
    return this.#gate?.outcome as GateOutcome;
  }

  /** True once the open gate has its outcome (a quorum met, or a rejection). */
  isDecided(): boolean {
    return this.#gate?.outcome !== undefined;
  }

  close(): void {
    this.#gate = undefined;
  }

  /**
   * Judges one decision, records it, and answers with the verdict. One decision at a time, and never
   * cancelled: a decision that arrives while the release is being cancelled (or compensating) is
   * still judged and recorded, and cannot cut the release's own work short.
   */
  handle(signed: SignedDecision, via: DecisionRecord['via']): Promise<DecisionVerdict> {
    return CancellationScope.nonCancellable(() =>
      this.#serial.run(async () => {
        this.#keepLapse(this.orders?.lapseFirstHalf(Date.now()));
        const firstHalfBefore = this.state.pendingRollbackOrder;
        const { verdict, record } = await this.#judge(signed, via);
        this.#keep(record);
        const firstHalf = this.state.pendingRollbackOrder;
        // Only first halves given under the current rules lapse (they carry `since`): a release started
        // before them kept its first half for ever, and a timer here would not replay.
        if (firstHalf?.since && firstHalf !== firstHalfBefore) this.#lapseWhenDue(firstHalf);
        await this.writer.write(
          `${shown(record.actor)} ${shown(record.decision)} at ${shown(record.gateId)}: ${verdict.outcome === 'counted' ? 'counted' : `refused (${verdict.refusal})`}`,
          { failsStep: false },
        );
        return verdict;
      }),
    );
  }

  async #judge(
    signed: SignedDecision,
    via: DecisionRecord['via'],
  ): Promise<{ verdict: DecisionVerdict; record: DecisionRecord }> {
    const at = new Date().toISOString();
    const unsealed = this.#unsealed(signed);
    if (unsealed) {
      // Not read at all: who or what it claims is the sender's say-so.
      return this.#refused(
        { gateId: '?', actor: '?', roles: [], decision: '?', at, via },
        'unverified',
        unsealed,
      );
    }
    let claim: DecisionClaim;
    try {
      claim = parseClaim(signed);
    } catch (error) {
      // Only a bare signal can get here: the update's validator rejects these before any write.
      const reason = error instanceof Error ? error.message : String(error);
      return this.#refused(
        { gateId: '?', actor: '?', roles: [], decision: '?', at, via },
        'malformed',
        reason,
      );
    }
    const environment = decisionEnvironment(claim, this.input.plan, this.state.rollbackPlan);
    const base = {
      decisionId: claim.decisionId,
      gateId: claim.gateId,
      actor: claim.actor,
      roles: claim.roles,
      decision: claim.decision,
      ...(claim.comment === undefined ? {} : { comment: claim.comment }),
      at,
      via,
      ...(environment === undefined ? {} : { environment }),
    };
    const check = await decisionActivities.verifyDecision
      .executeWithOptions(
        {
          summary: `verify the signature of ${shown(claim.actor)}'s ${claim.decision} at ${shown(claim.gateId)}`,
        },
        [signed],
      )
      .catch((error: unknown) => ({
        valid: false,
        reason: `could not be checked (${error instanceof Error ? error.message : String(error)})`,
      }));
    if (!check.valid) return this.#refused(base, 'unverified', `signature not verified: ${check.reason}`);
    if (claim.releaseId !== this.input.releaseId) {
      return this.#refused(base, 'wrong-release', `the claim is for release ${claim.releaseId}`);
    }
    const age = Date.now() - Date.parse(claim.issuedAt);
    if (age > CLAIM_LIFETIME_MS || age < -CLOCK_SKEW_MS) {
      return this.#refused(base, 'stale', `issued at ${claim.issuedAt}, outside the accepted time window`);
    }
    if (this.#usedDecisionIds.has(claim.decisionId)) {
      return this.#refused(base, 'replayed', `decision ${claim.decisionId} was already received`);
    }
    this.#usedDecisionIds.add(claim.decisionId);
    if (this.orders && isOrderGate(claim.gateId)) {
      const judgement =
        claim.gateId === RELEASE_ORDER_GATE ? this.orders.judgeOrder(claim) : this.orders.judgeGuided(claim);
      const about = judgement.environment ? { ...base, environment: judgement.environment } : base;
      if (!judgement.counted) return this.#refused(about, judgement.refusal, judgement.reason);
      return {
        verdict: { outcome: 'counted', decision: claim.decision, missing: judgement.missing },
        record: { ...about, seq: this.#nextSeq(), outcome: 'counted' },
      };
    }
    const isChecklistItem = this.input.plan.steps.some(
      (step) => step.id === claim.gateId && step.kind === 'confirm',
    );
    if (claim.decision === 'confirm' && !isChecklistItem) {
      return this.#refused(base, 'not-eligible', `${claim.gateId} is not a checklist item to confirm`);
    }
    if (claim.decision !== 'approve' && claim.decision !== 'reject' && claim.decision !== 'confirm') {
      return this.#refused(base, 'not-eligible', `a gate takes approve or reject, not ${claim.decision}`);
    }
    const gate = this.#gate;
    if (!gate || gate.outcome !== undefined || gate.pending.gateId !== claim.gateId) {
      return this.#refused(base, 'gate-closed', `gate ${claim.gateId} is not open for decisions`);
    }
    if (gate.step.answeredBy === 'confirm') return this.#judgeConfirmation(gate, claim, base, at);
    if (claim.decision === 'confirm') {
      return this.#refused(base, 'not-eligible', `${gate.step.name} takes approve or reject, not confirm`);
    }
    if (claim.decision === 'reject' && !gate.step.acceptsRejection) {
      return this.#refused(base, 'not-eligible', `${gate.step.name} can only be confirmed, not rejected`);
    }
    const roles = verifiedGateRoles(gate.step, claim.actor, claim.roles);
    const judgement = judgeDecision(gate.pending, claim.actor, roles, claim.decision, this.input.requestedBy);
    if (!judgement.counted) return this.#refused(base, judgement.refusal, judgement.reason);
    if (judgement.kind === 'rejection') {
      gate.outcome = { approved: false, rejectedBy: claim.actor, comment: claim.comment };
      return {
        verdict: { outcome: 'counted', decision: 'reject', missing: gate.pending.missing },
        record: { ...base, seq: this.#nextSeq(), outcome: 'counted' },
      };
    }
    const seat = judgement.seats[claim.actor] as Role;
    gate.pending.approvals.push({
      approver: claim.actor,
      roles,
      seat,
      at,
      ...(claim.comment === undefined ? {} : { comment: claim.comment }),
    });
    // A newcomer may have moved earlier approvers to other seats they also qualify for.
    for (const approval of gate.pending.approvals) {
      approval.seat = judgement.seats[approval.approver] ?? approval.seat;
    }
    gate.pending.missing = missingSeats(gate.pending.quorum, gate.pending.approvals);
    if (gate.pending.missing.length === 0) gate.outcome = { approved: true };
    return {
      verdict: { outcome: 'counted', decision: 'approve', seat, missing: [...gate.pending.missing] },
      record: { ...base, seq: this.#nextSeq(), outcome: 'counted', seat },
    };
  }

  /** A manual checklist item (R-CHECKLIST): one seat, filled by a confirmation with a note. */
  #judgeConfirmation(
    gate: OpenGate,
    claim: DecisionClaim,
    base: Omit<DecisionRecord, 'seq' | 'outcome' | 'decisionId'> & { decisionId: string },
    at: string,
  ): { verdict: DecisionVerdict; record: DecisionRecord } {
    if (claim.decision !== 'confirm') {
      return this.#refused(
        base,
        'not-eligible',
        `${gate.step.name} is a checklist item: it takes a confirmation, not ${claim.decision}`,
      );
    }
    const roles = verifiedGateRoles(gate.step, claim.actor, claim.roles);
    const judgement = judgeConfirmation(
      gate.pending,
      claim.actor,
      roles,
      this.input.requestedBy,
      claim.comment,
    );
    if (!judgement.counted) return this.#refused(base, judgement.refusal, judgement.reason);
    gate.pending.approvals.push({
      approver: claim.actor,
      roles,
      seat: judgement.seat,
      at,
      ...(claim.comment === undefined ? {} : { comment: claim.comment }),
    });
    gate.pending.missing = [];
    gate.outcome = { approved: true };
    return {
      verdict: { outcome: 'counted', decision: 'confirm', seat: judgement.seat, missing: [] },
      record: { ...base, seq: this.#nextSeq(), outcome: 'counted', seat: judgement.seat },
    };
  }

  #refused(
    base: Omit<DecisionRecord, 'seq' | 'outcome' | 'decisionId'> & { decisionId?: string },
    refusal: DecisionRefusal,
    reason: string,
  ): { verdict: DecisionVerdict; record: DecisionRecord } {
    log.info('decision refused', { actor: base.actor, gateId: base.gateId, refusal, reason });
    return {
      verdict: { outcome: 'refused', refusal, reason },
      record: {
        ...base,
        decisionId: base.decisionId ?? null,
        seq: this.#nextSeq(),
        outcome: 'refused',
        refusal,
        reason,
      },
    };
  }

  /**
   * The release's status changed: a first half of a two-person order given before lapses
   * (release-rules.ts). Recorded with the next write.
   */
  statusChanged(): void {
    this.#recordLapse(this.orders?.lapseFirstHalf(Date.now()));
  }

  /** Keeps a lapsed first half and records it with a write of its own. */
  #recordLapse(lapsed: LapsedFirstHalf | undefined): void {
    if (!lapsed) return;
    this.#keepLapse(lapsed);
    void this.writer
      .write(`${shown(lapsed.requestedBy)}'s ${lapsed.kind} lapsed`, { failsStep: false })
      .catch((error: unknown) => log.warn('a lapsed order could not be recorded', { error }));
  }

  /** A first half lapses after its lifetime: a durable timer, then the same check as at any decision. */
  #lapseWhenDue(firstHalf: object): void {
    const timer = new CancellationScope();
    void timer
      .run(() => sleep(FIRST_HALF_LIFETIME_MS))
      .then(() =>
        this.#serial.run(async () => {
          if (this.state.pendingRollbackOrder !== firstHalf) return;
          const lapsed = this.orders?.lapseFirstHalf(Date.now());
          if (!lapsed) return;
          this.#keepLapse(lapsed);
          await this.writer.write(`${shown(lapsed.requestedBy)}'s ${lapsed.kind} lapsed`, {
            failsStep: false,
          });
        }),
      )
      .catch(() => undefined);
  }

  /** A lapsed first half is kept as a refused decision of its orderer, so the audit trail has it. */
  #keepLapse(lapsed: LapsedFirstHalf | undefined): void {
    if (!lapsed) return;
    const { record } = this.#refused(
      {
        gateId: lapsed.gateId,
        actor: lapsed.requestedBy,
        roles: ['deploy'],
        decision: lapsed.kind,
        at: new Date().toISOString(),
        via: 'update',
        environment: lapsed.environment,
      },
      'stale',
      lapsed.reason,
    );
    this.#keep(record);
  }

  #unsealed(signed: unknown): string | undefined {
    if (!this.options.refuseUnsealed) return undefined;
    const why = untrustedOrigin(signed);
    return why && `not sent through Runway's API: ${why}`;
  }

  #nextSeq(): number {
    this.#seq += 1;
    return this.#seq;
  }

  #keep(record: DecisionRecord): void {
    this.state.decisions.push(record);
    if (this.state.decisions.length > DECISIONS_KEPT) this.state.decisions.shift();
  }
}
