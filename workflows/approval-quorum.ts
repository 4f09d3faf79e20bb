// Who may fill which seat of an approval gate (R-APPROVE, R-SOD, R-TWO-PERSON). Pure functions:
// the workflow judges every verified decision with them; the API uses them to show a gate.
import type { ApprovalPlanStep, DecisionRefusal, RecordedApproval, Role } from './release-model.js';

export type ApprovalJudgement =
  | { counted: true; kind: 'approval'; seats: Record<string, Role> }
  | { counted: true; kind: 'rejection' }
  | { counted: false; refusal: DecisionRefusal; reason: string };

interface GateView {
  quorum: readonly Role[];
  approvals: readonly RecordedApproval[];
}

/**
 * Assigns approvers to seats so that every seat gets a distinct person holding its role.
 * Returns the seat each approver fills, or undefined when no full assignment of `approvers` exists.
 * Backtracking is fine: a quorum has a handful of seats.
 */
export function assignSeats(
  quorum: readonly Role[],
  approvers: readonly { approver: string; roles: readonly Role[] }[],
): Map<string, Role> | undefined {
  const seatTaken = quorum.map(() => false);
  const assignment = new Map<string, Role>();
  const place = (index: number): boolean => {
    const candidate = approvers[index];
    if (candidate === undefined) return true;
    for (let seat = 0; seat < quorum.length; seat++) {
      const role = quorum[seat] as Role;
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
  quorum: readonly Role[],
  approvals: readonly Pick<RecordedApproval, 'seat'>[],
): Role[] {
  const missing = [...quorum];
  for (const approval of approvals) {
    const index = missing.indexOf(approval.seat);
    if (index >= 0) missing.splice(index, 1);
  }
  return missing;
}

/**
 * The roles a person may use at this gate: those the gate's quorum asks for, that the roster frozen
 * at start gives them, and that the API found them holding when they decided. A role granted after
 * the start, or revoked since, does not count.
 */
export function verifiedGateRoles(
  step: Pick<ApprovalPlanStep, 'quorum' | 'roster'>,
  actor: string,
  claimedRoles: readonly string[],
): Role[] {
  const rostered = step.roster.find((entry) => entry.identity === actor)?.roles ?? [];
  return rostered.filter((role) => step.quorum.includes(role) && claimedRoles.includes(role));
}

/** Judges one verified decision by `actor`, holding `roles` (already verified), on an open gate. */
export function judgeDecision(
  gate: GateView,
  actor: string,
  roles: readonly Role[],
  decision: 'approve' | 'reject',
  requestedBy: string,
): ApprovalJudgement {
  if (actor === requestedBy) {
    return { counted: false, refusal: 'requester', reason: 'the requester of a release cannot decide on it' };
  }
  if (roles.length === 0) {
    return {
      counted: false,
      refusal: 'not-eligible',
      reason: `${actor} holds none of the roles this gate needs (${gate.quorum.join(', ')}) on its roster`,
    };
  }
  if (gate.approvals.some((approval) => approval.approver === actor)) {
    return {
      counted: false,
      refusal: 'already-decided',
      reason: `${actor} has already approved; one person counts once`,
    };
  }
  if (decision === 'reject') return { counted: true, kind: 'rejection' };
  const seats = assignSeats(gate.quorum, [...gate.approvals, { approver: actor, roles }]);
  if (seats === undefined) {
    return {
      counted: false,
      refusal: 'seats-taken',
      reason: 'every seat this approver could fill is already taken',
    };
  }
  // Earlier approvers may move to another seat they qualify for, so all seats are returned.
  return { counted: true, kind: 'approval', seats: Object.fromEntries(seats) };
}
