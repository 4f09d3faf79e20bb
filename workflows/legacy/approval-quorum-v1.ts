// Frozen with the v1 engine (release-workflow-v1.ts); never change what it does.
// Who may fill which seat of an approval gate (R-APPROVE, R-SOD, R-TWO-PERSON).
// Pure functions: the workflow decides with them, and the API uses the same ones to answer a caller
// before it signals, so both always agree.
import type { ApprovalDecision, ApproverRole, RecordedApproval, Role } from './release-model-v1.js';

export type ApprovalVerdict =
  | { accepted: true; kind: 'approval'; seats: Record<string, ApproverRole> }
  | { accepted: true; kind: 'rejection' }
  | { accepted: false; refusal: Refusal; reason: string };

/** Why a decision did not count: the first two are about who decides, the others about timing. */
export type Refusal = 'requester' | 'not-eligible' | 'wrong-gate' | 'already-approved' | 'seats-taken';

interface GateView {
  gateId: string;
  quorum: ApproverRole[];
  approvals: RecordedApproval[];
}

/**
 * Assigns approvers to seats so that every seat gets a distinct person holding its role.
 * Returns the seat each approver fills, or undefined when no full assignment of `approvers` exists.
 * Backtracking is fine: a quorum has a handful of seats.
 */
export function assignSeats(
  quorum: readonly ApproverRole[],
  approvers: readonly { approver: string; roles: readonly Role[] }[],
): Map<string, ApproverRole> | undefined {
  const seatTaken = quorum.map(() => false);
  const assignment = new Map<string, ApproverRole>();
  const place = (index: number): boolean => {
    const candidate = approvers[index];
    if (candidate === undefined) return true;
    for (let seat = 0; seat < quorum.length; seat++) {
      const role = quorum[seat] as ApproverRole;
      if (seatTaken[seat] || !candidate.roles.includes(role)) continue;
      seatTaken[seat] = true;
      assignment.set(candidate.approver, role);
      if (place(index + 1)) return true;
      seatTaken[seat] = false;
      assignment.delete(candidate.approver);
    }
    return false;
  };
  return place(0) ? assignment : undefined;
}

/** The seats still empty, given the approvals recorded so far. */
export function missingSeats(
  quorum: readonly ApproverRole[],
  approvals: readonly Pick<RecordedApproval, 'seat'>[],
): ApproverRole[] {
  const missing = [...quorum];
  for (const approval of approvals) {
    const index = missing.indexOf(approval.seat);
    if (index >= 0) missing.splice(index, 1);
  }
  return missing;
}

/** Decides whether one approve/reject decision counts toward the gate. */
export function judgeDecision(
  gate: GateView,
  decision: ApprovalDecision,
  requestedBy: string,
): ApprovalVerdict {
  if (decision.gateId !== gate.gateId) {
    return {
      accepted: false,
      refusal: 'wrong-gate',
      reason: `gate ${decision.gateId} is not the pending gate (${gate.gateId})`,
    };
  }
  if (decision.approver === requestedBy) {
    return {
      accepted: false,
      refusal: 'requester',
      reason: 'the requester of a release cannot approve or reject it',
    };
  }
  const eligibleRoles = decision.roles.filter((role): role is ApproverRole =>
    (gate.quorum as Role[]).includes(role),
  );
  if (eligibleRoles.length === 0) {
    return {
      accepted: false,
      refusal: 'not-eligible',
      reason: `approver holds none of the roles this gate needs (${gate.quorum.join(', ')})`,
    };
  }
  if (decision.decision === 'reject') return { accepted: true, kind: 'rejection' };
  if (gate.approvals.some((approval) => approval.approver === decision.approver)) {
    return {
      accepted: false,
      refusal: 'already-approved',
      reason: `${decision.approver} has already approved; one person counts once`,
    };
  }
  const seats = assignSeats(gate.quorum, [
    ...gate.approvals,
    { approver: decision.approver, roles: decision.roles },
  ]);
  if (seats === undefined) {
    return {
      accepted: false,
      refusal: 'seats-taken',
      reason: 'every seat this approver could fill is already taken',
    };
  }
  // Earlier approvers may move to another seat they qualify for, so all seats are returned.
  return { accepted: true, kind: 'approval', seats: Object.fromEntries(seats) };
}
