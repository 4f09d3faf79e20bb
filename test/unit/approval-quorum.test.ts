import { describe, expect, it } from 'vitest';
import {
  assignSeats,
  judgeDecision,
  missingSeats,
  verifiedGateRoles,
} from '../../workflows/approval-quorum.js';
import type { ApproverRole, RecordedApproval } from '../../workflows/release-model.js';

const gate = (approvals: RecordedApproval[] = []) => ({
  quorum: ['pm', 'tech-lead'] as ApproverRole[],
  approvals,
});

describe('approval quorum', () => {
  it('seats distinct people and reassigns an earlier approver when a newcomer needs the seat', () => {
    const seats = assignSeats(
      ['pm', 'tech-lead'],
      [
        { approver: 'both', roles: ['pm', 'tech-lead'] },
        { approver: 'pm-only', roles: ['pm'] },
      ],
    );
    expect(seats && Object.fromEntries(seats)).toEqual({ both: 'tech-lead', 'pm-only': 'pm' });
  });

  it('finds no assignment when two people hold only the same role', () => {
    expect(
      assignSeats(
        ['pm', 'tech-lead'],
        [
          { approver: 'a', roles: ['pm'] },
          { approver: 'b', roles: ['pm'] },
        ],
      ),
    ).toBeUndefined();
  });

  it('counts only roles that the gate needs, the roster grants and the claim carries', () => {
    const step = {
      quorum: ['pm', 'tech-lead'] as ApproverRole[],
      roster: [
        { identity: 'pm-li', roles: ['pm'] as ApproverRole[] },
        { identity: 'both', roles: ['pm', 'tech-lead'] as ApproverRole[] },
      ],
    };
    expect(verifiedGateRoles(step, 'pm-li', ['read', 'pm', 'tech-lead'])).toEqual(['pm']);
    expect(verifiedGateRoles(step, 'both', ['tech-lead'])).toEqual(['tech-lead']);
    // Not on the roster frozen at start: a role claimed (or granted later) does not count.
    expect(verifiedGateRoles(step, 'mallory', ['pm', 'tech-lead'])).toEqual([]);
  });

  it('refuses the requester, the ineligible, the same person twice and a taken seat', () => {
    const seated: RecordedApproval = { approver: 'pm-li', roles: ['pm'], seat: 'pm', at: '' };
    expect(judgeDecision(gate(), 'ops-wang', ['pm'], 'approve', 'ops-wang')).toMatchObject({
      counted: false,
      refusal: 'requester',
    });
    expect(judgeDecision(gate(), 'dev-chen', [], 'approve', 'ops-wang')).toMatchObject({
      counted: false,
      refusal: 'not-eligible',
    });
    expect(judgeDecision(gate([seated]), 'pm-li', ['pm'], 'approve', 'ops-wang')).toMatchObject({
      counted: false,
      refusal: 'already-decided',
    });
    expect(judgeDecision(gate([seated]), 'pm-li', ['pm'], 'reject', 'ops-wang')).toMatchObject({
      counted: false,
      refusal: 'already-decided',
    });
    expect(judgeDecision(gate([seated]), 'pm-wu', ['pm'], 'approve', 'ops-wang')).toMatchObject({
      counted: false,
      refusal: 'seats-taken',
    });
  });

  it('counts a rejection from anyone eligible, and an approval with its seat', () => {
    expect(judgeDecision(gate(), 'tl-zhang', ['tech-lead'], 'reject', 'ops-wang')).toEqual({
      counted: true,
      kind: 'rejection',
    });
    expect(judgeDecision(gate(), 'tl-zhang', ['tech-lead'], 'approve', 'ops-wang')).toEqual({
      counted: true,
      kind: 'approval',
      seats: { 'tl-zhang': 'tech-lead' },
    });
  });

  it('lists the seats still empty', () => {
    expect(missingSeats(['pm', 'tech-lead'], [{ seat: 'tech-lead' }])).toEqual(['pm']);
    expect(missingSeats(['pm', 'pm', 'tech-lead'], [{ seat: 'pm' }])).toEqual(['pm', 'tech-lead']);
  });
});
