// What the worker's metrics count from a transition: compared with the record as it stood, so a
// gate, a step, a rollback or a release's end is counted once, a retried write counting nothing.
import { describe, expect, it } from 'vitest';
import type { RecordedState } from '../../db/recorded-state.js';
import type { ReleaseTransition } from '../../db/release-records.js';
import { recordChanges } from '../../metrics/release-record-changes.js';
import type { RollbackReport, StepRecord } from '../../workflows/release-model.js';

const NOW = new Date('2026-12-06T10:10:00.000Z');

const recorded = (changes: Partial<RecordedState> = {}): RecordedState => ({
  service: 'edm-web',
  type: 'hotfix',
  status: 'running',
  finished: false,
  createdAt: new Date('2026-12-06T10:00:00.000Z'),
  pendingDecision: null,
  pendingRollbackOrder: null,
  rollback: null,
  stepStatuses: {},
  ...changes,
});

const transition = (changes: Partial<ReleaseTransition> = {}): ReleaseTransition => ({
  releaseId: 'edm-web-hotfix-1.0.1-abc123',
  seq: 5,
  status: 'running',
  currentStep: null,
  environment: 'production',
  failure: null,
  pendingGate: null,
  rollbackPlan: [],
  holdsLock: true,
  finished: false,
  steps: [],
  decisions: [],
  ...changes,
});

const step = (changes: Partial<StepRecord>): StepRecord => ({
  id: 'hotfix-approval',
  name: 'Hotfix approval',
  kind: 'approval',
  environment: 'production',
  status: 'succeeded',
  startedAt: '2026-12-06T10:02:00.000Z',
  finishedAt: '2026-12-06T10:07:30.000Z',
  ...changes,
});

const rollback = (changes: Partial<RollbackReport> = {}): RollbackReport => ({
  cause: 'automatic',
  reason: 'error rate above 5 %',
  orderedBy: [],
  startedAt: '2026-12-06T10:08:00.000Z',
  verification: [],
  ...changes,
});

describe('recordChanges', () => {
  it('counts a gate step that closes, with the time it was open, once', () => {
    const closing = transition({ steps: [step({})] });
    expect(recordChanges(recorded({ stepStatuses: { 'hotfix-approval': 'running' } }), closing, NOW)).toEqual(
      [
        { change: 'step-ended', stepKind: 'approval', outcome: 'succeeded' },
        { change: 'gate-closed', gate: 'approval', environment: 'production', seconds: 330 },
      ],
    );
    // The same write again (a retry after it landed): the record already says so.
    expect(
      recordChanges(recorded({ stepStatuses: { 'hotfix-approval': 'succeeded' } }), closing, NOW),
    ).toEqual([]);
  });

  it('names confirmations and windows as gates, and counts other steps by kind and outcome only', () => {
    const steps = [
      step({ id: 'fix-reviewed', kind: 'confirm', finishedAt: '2026-12-06T10:02:01.000Z' }),
      step({
        id: 'release-window',
        kind: 'window',
        status: 'skipped',
        finishedAt: '2026-12-06T10:02:00.000Z',
      }),
      step({ id: 'deploy-test', kind: 'deploy', status: 'failed', environment: 'test' }),
      step({ id: 'bake-production', kind: 'bake', status: 'running', finishedAt: undefined }),
    ];
    expect(recordChanges(recorded(), transition({ steps }), NOW)).toEqual([
      { change: 'step-ended', stepKind: 'confirm', outcome: 'succeeded' },
      { change: 'gate-closed', gate: 'confirmation', environment: 'production', seconds: 1 },
      { change: 'step-ended', stepKind: 'window', outcome: 'skipped' },
      { change: 'gate-closed', gate: 'window', environment: 'production', seconds: 0 },
      { change: 'step-ended', stepKind: 'deploy', outcome: 'failed' },
    ]);
  });

  it("counts a step's later outcome, but not its gate a second time", () => {
    const compensated = transition({ steps: [step({ status: 'compensated' })] });
    expect(
      recordChanges(recorded({ stepStatuses: { 'hotfix-approval': 'succeeded' } }), compensated, NOW),
    ).toEqual([{ change: 'step-ended', stepKind: 'approval', outcome: 'compensated' }]);
  });

  it("closes a failure's decision and a production order's second person when they are answered", () => {
    const waiting = recorded({
      pendingDecision: {
        gateId: 'guided:deploy-production',
        kind: 'step',
        subject: 'deploy-production',
        environment: 'production',
        reason: 'health check failed',
        options: ['retry', 'rollback'],
        since: '2026-12-06T10:05:00.000Z',
      },
      pendingRollbackOrder: {
        requestedBy: 'ops-wang',
        reason: 'errors',
        at: '2026-12-06T10:09:00.000Z',
        environment: 'production',
      },
    });
    expect(recordChanges(waiting, transition(), NOW)).toEqual([
      { change: 'gate-closed', gate: 'decision', environment: 'production', seconds: 300 },
      { change: 'gate-closed', gate: 'second-person', environment: 'production', seconds: 60 },
    ]);
    expect(
      recordChanges(
        waiting,
        transition({
          pendingDecision: waiting.pendingDecision,
          pendingRollbackOrder: waiting.pendingRollbackOrder,
        }),
        NOW,
      ),
    ).toEqual([]);
  });

  it('counts a rollback when it starts and when its verification is done', () => {
    expect(recordChanges(recorded(), transition({ rollback: rollback() }), NOW)).toEqual([
      { change: 'rollback-started', cause: 'automatic' },
    ]);
    const finished = rollback({
      finishedAt: '2026-12-06T10:09:30.000Z',
      durationMs: 90_000,
      verification: [
        { environment: 'production', passed: true, items: [] },
        { environment: 'test', passed: false, items: [] },
      ],
    });
    expect(
      recordChanges(recorded({ rollback: rollback() }), transition({ rollback: finished }), NOW),
    ).toEqual([{ change: 'rollback-finished', cause: 'automatic', verified: false, seconds: 90 }]);
    expect(recordChanges(recorded({ rollback: finished }), transition({ rollback: finished }), NOW)).toEqual(
      [],
    );
  });

  it('counts the end of a release once, where it ended, with its duration', () => {
    const ending = transition({
      status: 'failed',
      finished: true,
      environment: 'production',
      failure: { step: 'deploy-test', reason: 'check failed', environment: 'test' },
    });
    expect(recordChanges(recorded(), ending, NOW)).toEqual([
      { change: 'release-ended', outcome: 'failed', environment: 'test', seconds: 600 },
    ]);
    expect(recordChanges(recorded({ finished: true }), ending, NOW)).toEqual([]);
    // A succeeded release kept open for a later rollback has not ended yet.
    expect(recordChanges(recorded(), transition({ status: 'succeeded', finished: false }), NOW)).toEqual([]);
  });
});
