// Frozen with the v1 engine (release-workflow-v1.ts); never change what it does.
// A gate is a status plus a condition (the `expense` sample's shape): signals fill the seats of the
// quorum, `condition` waits until it is met or someone rejects.
import { condition, log } from '@temporalio/workflow';
import { judgeDecision, missingSeats } from './approval-quorum-v1.js';
import type { ApprovalDecision, ApprovalPlanStep, ApproverRole, PendingGate } from './release-model-v1.js';

export type GateOutcome = { approved: true } | { approved: false; rejectedBy: string; comment?: string };

export interface GateCallbacks {
  onRefused(approver: string, reason: string): void;
  onDecision(decision: ApprovalDecision, at: string): Promise<void>;
}

export class ApprovalGate {
  readonly pending: PendingGate;
  readonly #inbox: ApprovalDecision[] = [];

  constructor(
    step: ApprovalPlanStep,
    private readonly requestedBy: string,
  ) {
    this.pending = {
      gateId: step.id,
      name: step.name,
      environment: step.environment,
      quorum: step.quorum,
      approvals: [],
      missing: [...step.quorum],
    };
  }

  /** Called from the signal handler: handlers must stay synchronous, so decisions queue up here. */
  receive(decision: ApprovalDecision): void {
    this.#inbox.push(decision);
  }

  async wait(callbacks: GateCallbacks): Promise<GateOutcome> {
    for (;;) {
      await condition(() => this.#inbox.length > 0);
      const decision = this.#inbox.shift() as ApprovalDecision;
      const verdict = judgeDecision(this.pending, decision, this.requestedBy);
      const at = new Date().toISOString();
      if (!verdict.accepted) {
        log.info('approval refused', { approver: decision.approver, reason: verdict.reason });
        callbacks.onRefused(decision.approver, verdict.reason);
        continue;
      }
      await callbacks.onDecision(decision, at);
      if (verdict.kind === 'rejection') {
        return { approved: false, rejectedBy: decision.approver, comment: decision.comment };
      }
      this.#seat(decision, at, verdict.seats);
      if (this.pending.missing.length === 0) return { approved: true };
    }
  }

  #seat(decision: ApprovalDecision, at: string, seats: Record<string, ApproverRole>): void {
    const seat = seats[decision.approver] as ApproverRole;
    this.pending.approvals.push({
      approver: decision.approver,
      roles: decision.roles,
      seat,
      at,
      comment: decision.comment,
    });
    // A newcomer may have moved earlier approvers to other seats they also qualify for.
    for (const approval of this.pending.approvals) approval.seat = seats[approval.approver] ?? approval.seat;
    this.pending.missing = missingSeats(this.pending.quorum, this.pending.approvals);
  }
}
