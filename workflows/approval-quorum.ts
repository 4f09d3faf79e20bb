// Who may fill which seat of an approval gate (R-APPROVE, R-SOD, R-TWO-PERSON). Pure functions:
// the workflow judges every verified decision with them; the API uses them to show a gate.
import {
  ACCESS_ROLES,
  type ApprovalPlanStep,
  type DecisionRefusal,
  type RecordedApproval,
  type Role,
} from './release-model.js';

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

export type ConfirmationJudgement =
  | { counted: true; seat: Role }
  | { counted: false; refusal: DecisionRefusal; reason: string };

const isAccessRole = (role: Role): boolean => (ACCESS_ROLES as readonly Role[]).includes(role);

/**
 * Judges one verified confirmation of a manual checklist item (R-CHECKLIST): one seat, `role`, that a
 * person on the roster fills with a note. The requester may fill it only when the role is an access
 * role (deploy, operate…): such an item attests work the requester's own role does (the operator who
 * runs the release confirms what they checked). An approver role (pm, tech-lead, security…) is a
 * second pair of eyes (R-SOD), which the requester can never be, exactly as at an approval gate.
 */
export function judgeConfirmation(
  gate: GateView,
  actor: string,
  roles: readonly Role[],
  requestedBy: string,
  note: string | undefined,
): ConfirmationJudgement {
  const seat = gate.quorum[0] as Role;
  if (actor === requestedBy && !isAccessRole(seat)) {
    return {
      counted: false,
      refusal: 'requester',
      reason: `the requester of a release cannot confirm an item that needs ${seat}: it is someone else's check`,
    };
  }
  if (!roles.includes(seat)) {
    return {
      counted: false,
      refusal: 'not-eligible',
      reason: `${actor} does not hold ${seat} on this item's roster`,
    };
  }
  if (gate.approvals.length > 0) {
    return { counted: false, refusal: 'already-decided', reason: 'this item is already confirmed' };
  }
  if (!note?.trim()) {
    return {
      counted: false,
      refusal: 'not-eligible',
      reason: 'a confirmation needs a note saying what was checked',
    };
  }
  return { counted: true, seat };
}
