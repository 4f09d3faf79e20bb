import { describe, expect, it } from 'vitest';
import { assignSeats, judgeDecision, missingSeats } from '../../workflows/approval-quorum.js';
import type { ApprovalDecision, RecordedApproval } from '../../workflows/release-model.js';

const gate = (approvals: RecordedApproval[] = []) => ({
  gateId: 'change-approval',
  quorum: ['pm', 'tech-lead'] as ('pm' | 'tech-lead')[],
  approvals,
});
const decision = (
  approver: string,
  roles: ApprovalDecision['roles'],
  extra: Partial<ApprovalDecision> = {},
) => ({
  gateId: 'change-approval',
  approver,
  roles,
  decision: 'approve' as const,
  ...extra,
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

  it('refuses the requester, the ineligible, the same person twice and a stale gate', () => {
    const seated: RecordedApproval = { approver: 'pm-li', roles: ['pm'], seat: 'pm', at: '' };
    expect(judgeDecision(gate(), decision('ops-wang', ['pm']), 'ops-wang')).toMatchObject({
      accepted: false,
      refusal: 'requester',
    });
    expect(judgeDecision(gate(), decision('dev-chen', ['read', 'deploy']), 'ops-wang')).toMatchObject({
      accepted: false,
      refusal: 'not-eligible',
    });
    expect(judgeDecision(gate([seated]), decision('pm-li', ['pm']), 'ops-wang')).toMatchObject({
      accepted: false,
      refusal: 'already-approved',
    });
    expect(judgeDecision(gate([seated]), decision('pm-wu', ['pm']), 'ops-wang')).toMatchObject({
      accepted: false,
      refusal: 'seats-taken',
    });
    expect(judgeDecision(gate(), decision('pm-li', ['pm'], { gateId: 'other' }), 'ops-wang')).toMatchObject({
      accepted: false,
      refusal: 'wrong-gate',
    });
  });

  it('accepts a rejection from anyone eligible, and an approval with its seat', () => {
    expect(
      judgeDecision(gate(), decision('tl-zhang', ['tech-lead'], { decision: 'reject' }), 'ops-wang'),
    ).toEqual({ accepted: true, kind: 'rejection' });
    expect(judgeDecision(gate(), decision('tl-zhang', ['tech-lead']), 'ops-wang')).toEqual({
      accepted: true,
      kind: 'approval',
      seats: { 'tl-zhang': 'tech-lead' },
    });
  });

  it('lists the seats still empty', () => {
    expect(missingSeats(['pm', 'tech-lead'], [{ seat: 'tech-lead' }])).toEqual(['pm']);
    expect(missingSeats(['pm', 'pm', 'tech-lead'], [{ seat: 'pm' }])).toEqual(['pm', 'tech-lead']);
  });
});
