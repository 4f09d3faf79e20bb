// The rules for rollback and abort orders and guided decisions (R-RB-TRIGGER-MANUAL, R-GUIDED),
// judged on plain state: who may order, the two-person rule, what each moment allows.
import { describe, expect, it } from 'vitest';
import { runbookSchema } from '../../runbooks/runbook-schema.js';
import type {
  DecisionClaim,
  ReleaseInput,
  ReleaseState,
  RollbackPolicy,
} from '../../workflows/release-model.js';
import { ReleaseOrders } from '../../workflows/release-orders.js';
import { FIRST_HALF_LIFETIME_MS } from '../../workflows/release-rules.js';
import { rollbackEnvironment } from '../../workflows/rollback-scope.js';

const policy: RollbackPolicy = {
  deciders: {
    staging: [{ identity: 'ops-wang', roles: ['deploy'] }],
    production: [
      { identity: 'ops-wang', roles: ['deploy'] },
      { identity: 'oncall-zhou', roles: ['deploy'] },
    ],
  },
  twoPersonEnvironments: ['production'],
  afterSuccessMs: 3_600_000,
  guidedSteps: ['verify-production'],
  skippableVerifications: [],
  verification: {},
};

const input = { releaseId: 'r1', plan: { steps: [{ environment: 'staging' }] } } as unknown as ReleaseInput;

function fresh(environment: 'staging' | 'production', rules = { current: false }) {
  const state: ReleaseState = {
    releaseId: 'r1',
    status: 'running',
    steps: [],
    decisions: [],
    environment,
    rollbackPlan: [
      {
        id: `deploy-${environment}.switch-back`,
        stepId: `deploy-${environment}`,
        environment,
        description: 'switch back',
        action: { kind: 'switch-traffic-back', to: 'blue', from: 'green' },
        status: 'pending',
      },
    ],
  };
  return { state, orders: new ReleaseOrders(input, state, policy, rules) };
}

const claim = (
  actor: string,
  decision: DecisionClaim['decision'],
  extra: Partial<DecisionClaim> = {},
): DecisionClaim => ({
  v: 1,
  decisionId: `${actor}-${decision}`,
  releaseId: 'r1',
  gateId: 'release',
  actor,
  roles: ['read', 'deploy'],
  decision,
  comment: 'because',
  issuedAt: '2026-11-26T10:00:00Z',
  ...extra,
});

describe('rollback and abort orders', () => {
  it('takes a rollback at once where one person suffices', () => {
    const { orders } = fresh('staging');
    expect(orders.judgeOrder(claim('ops-wang', 'rollback'))).toEqual({
      counted: true,
      missing: [],
      environment: 'staging',
    });
    expect(orders.current()).toEqual({ kind: 'rollback', orderedBy: ['ops-wang'], reason: 'because' });
    expect(orders.judgeOrder(claim('ops-wang', 'abort'))).toMatchObject({ refusal: 'gate-closed' });
  });

  it('needs a second, different person with deploy in production', () => {
    const { orders, state } = fresh('production');
    expect(orders.judgeOrder(claim('ops-wang', 'rollback'))).toEqual({
      counted: true,
      missing: ['deploy'],
      environment: 'production',
    });
    expect(orders.current()).toBeUndefined();
    expect(state.pendingRollbackOrder).toMatchObject({ requestedBy: 'ops-wang', environment: 'production' });
    expect(orders.judgeOrder(claim('ops-wang', 'rollback'))).toMatchObject({ refusal: 'already-decided' });
    expect(orders.judgeOrder(claim('oncall-zhou', 'rollback', { comment: 'confirmed' }))).toEqual({
      counted: true,
      missing: [],
      environment: 'production',
    });
    expect(orders.current()).toEqual({
      kind: 'rollback',
      orderedBy: ['ops-wang', 'oncall-zhou'],
      reason: 'because; confirmed',
    });
    expect(state.pendingRollbackOrder).toBeUndefined();
  });

  it('refuses people off the roster, and claimed roles the roster does not back', () => {
    const { orders } = fresh('production');
    expect(orders.judgeOrder(claim('dev-chen', 'rollback'))).toMatchObject({ refusal: 'not-eligible' });
    expect(orders.judgeOrder(claim('ops-wang', 'rollback', { roles: ['read'] }))).toMatchObject({
      refusal: 'not-eligible',
    });
  });

  it('after success takes rollbacks only, and nothing once the window closed', () => {
    const { orders } = fresh('staging');
    orders.setWindow({ open: true, rollbackOnly: true });
    expect(orders.judgeOrder(claim('ops-wang', 'abort'))).toMatchObject({ refusal: 'gate-closed' });
    orders.setWindow({ open: false, refusal: 'rollback-closed', reason: 'closed at noon' });
    expect(orders.judgeOrder(claim('ops-wang', 'rollback'))).toEqual({
      counted: false,
      refusal: 'rollback-closed',
      reason: 'closed at noon',
    });
  });
});

describe('orders under the current rules (release-rules.ts)', () => {
  const current = { current: true };

  it('takes one person’s abort as the first half when it would undo production', () => {
    const { orders, state } = fresh('production', current);
    expect(orders.judgeOrder(claim('ops-wang', 'abort'))).toMatchObject({
      counted: true,
      missing: ['deploy'],
    });
    expect(orders.current()).toBeUndefined();
    expect(state.pendingRollbackOrder).toMatchObject({
      requestedBy: 'ops-wang',
      kind: 'abort',
      status: 'running',
    });
    // A rollback while an abort waits is refused: the second person completes what the first ordered.
    expect(orders.judgeOrder(claim('oncall-zhou', 'rollback'))).toMatchObject({ refusal: 'gate-closed' });
    expect(orders.judgeOrder(claim('oncall-zhou', 'abort'))).toMatchObject({ counted: true, missing: [] });
    expect(orders.current()).toMatchObject({ kind: 'abort', orderedBy: ['ops-wang', 'oncall-zhou'] });
  });

  it('lets a first half lapse after 15 minutes, or when the status changes, or when orders close', () => {
    const { orders, state } = fresh('production', current);
    orders.judgeOrder(claim('ops-wang', 'rollback'));
    const since = Date.parse(state.pendingRollbackOrder?.since ?? '');
    expect(orders.lapseFirstHalf(since + FIRST_HALF_LIFETIME_MS - 1)).toBeUndefined();
    expect(orders.lapseFirstHalf(since + FIRST_HALF_LIFETIME_MS)).toMatchObject({
      requestedBy: 'ops-wang',
      kind: 'rollback',
      reason: expect.stringMatching(/within 15 minutes/),
    });
    expect(state.pendingRollbackOrder).toBeUndefined();

    orders.judgeOrder(claim('ops-wang', 'rollback'));
    state.status = 'waiting-decision';
    expect(orders.lapseFirstHalf(Date.now())).toMatchObject({
      reason: expect.stringMatching(/moved on \(running → waiting-decision\)/),
    });

    const lapsed: unknown[] = [];
    orders.onLapse = (first) => lapsed.push(first);
    orders.judgeOrder(claim('ops-wang', 'rollback'));
    orders.setWindow({ open: false, refusal: 'rollback-closed', reason: 'the release has ended' });
    expect(lapsed).toEqual([
      expect.objectContaining({
        requestedBy: 'ops-wang',
        reason: expect.stringMatching(/^the release has ended/),
      }),
    ]);
    expect(state.pendingRollbackOrder).toBeUndefined();
  });

  it('takes one person’s abort where nothing in production would be undone', () => {
    const { orders } = fresh('staging', current);
    expect(orders.judgeOrder(claim('ops-wang', 'abort'))).toMatchObject({ counted: true, missing: [] });
    expect(orders.current()).toMatchObject({ kind: 'abort', orderedBy: ['ops-wang'] });
  });
});

describe('guided decisions', () => {
  const pending = {
    gateId: 'guided:verify-production',
    kind: 'step' as const,
    subject: 'verify-production',
    environment: 'production',
    reason: 'health 503',
    options: ['retry' as const, 'rollback' as const, 'abort' as const],
    since: '2026-11-26T10:00:00Z',
  };

  it('takes one answer among the options from someone with deploy there', () => {
    const { orders, state } = fresh('production');
    const guided = { gateId: pending.gateId };
    expect(orders.judgeGuided(claim('ops-wang', 'retry', guided))).toMatchObject({ refusal: 'gate-closed' });
    orders.openGuided(pending);
    expect(state.pendingDecision).toEqual(pending);
    expect(orders.judgeGuided(claim('ops-wang', 'skip', guided))).toMatchObject({ refusal: 'not-allowed' });
    expect(orders.judgeGuided(claim('pm-li', 'retry', guided))).toMatchObject({ refusal: 'not-eligible' });
    expect(orders.judgeGuided(claim('ops-wang', 'retry', { gateId: 'guided:other' }))).toMatchObject({
      refusal: 'gate-closed',
    });
    expect(orders.judgeGuided(claim('ops-wang', 'retry', guided))).toMatchObject({
      counted: true,
      missing: [],
    });
    expect(orders.guidedAnswer).toEqual({ decision: 'retry', decidedBy: 'ops-wang', reason: 'because' });
    expect(orders.judgeGuided(claim('oncall-zhou', 'abort', guided))).toMatchObject({
      refusal: 'gate-closed',
    });
    orders.closeGuided();
    expect(state.pendingDecision).toBeUndefined();
  });
});

describe('which environment a rollback is about', () => {
  it('is that of the newest change still to undo, else where the release works', () => {
    const { state } = fresh('production');
    expect(rollbackEnvironment(input.plan, state)).toBe('production');
    expect(rollbackEnvironment(input.plan, { rollbackPlan: [], environment: 'staging' })).toBe('staging');
    expect(rollbackEnvironment(input.plan, { rollbackPlan: [] })).toBe('staging');
  });
});

describe('runbook bake steps', () => {
  const runbook = (baseline: string) => ({
    type: 'regular',
    description: 'd',
    steps: [
      { id: 'baseline-production', kind: 'baseline', environment: 'production' },
      { id: 'deploy-production', kind: 'deploy', environment: 'production' },
      { id: 'bake-production', kind: 'bake', environment: 'production', baseline },
    ],
  });

  it('must name a baseline step before it, in its environment', () => {
    expect(runbookSchema.safeParse(runbook('baseline-production')).success).toBe(true);
    const wrong = runbookSchema.safeParse(runbook('deploy-production'));
    expect(wrong.success).toBe(false);
    expect(wrong.error?.issues[0]?.message).toContain('baseline step before this one in production');
  });
});
