// The delivery metrics (R-METRICS) from a fixed set of release records, each value worked out by
// hand in the comments: what counts as a deployment, a success, a rollback, a change failure and a
// restore (docs/delivery-metrics.md), and the window's edges.
import { describe, expect, it } from 'vitest';
import {
  computeDeliveryMetrics,
  type DeliveryMetric,
  type DeliveryRecord,
  type DeliveryScope,
  type DeliveryStep,
  type DeliveryStepPart,
} from '../../api/services/delivery-metrics.js';
import type { ReleaseStatus, ReleaseType, StepStatus } from '../../workflows/release-model.js';

/** 2026-11-<day> at hh:mm UTC. */
const at = (day: number, time: string) => new Date(`2026-11-${String(day).padStart(2, '0')}T${time}:00Z`);

/** Four weeks, Monday 2 November to Monday 30 November. */
const WINDOW = { from: at(2, '00:00'), to: at(30, '00:00') };
const PRODUCTION: DeliveryScope = { environment: 'production', ...WINDOW };

function step(
  environment: string,
  part: DeliveryStepPart,
  status: StepStatus,
  day: number,
  start: string,
  end: string | null,
): DeliveryStep {
  return {
    environment,
    part,
    status,
    startedAt: at(day, start),
    finishedAt: end === null ? null : at(day, end),
  };
}

function release(
  id: string,
  fields: {
    type?: ReleaseType;
    service?: string;
    status: ReleaseStatus;
    created: Date;
    steps: DeliveryStep[];
    rollback?: { startedAt: Date; finishedAt: Date | null };
  },
): DeliveryRecord {
  const lastChange = fields.steps.at(-1)?.finishedAt ?? fields.created;
  return {
    id,
    service: fields.service ?? 'edm-web',
    type: fields.type ?? 'regular',
    status: fields.status,
    createdAt: fields.created,
    finishedAt: lastChange,
    updatedAt: lastChange,
    rollback: fields.rollback ?? null,
    steps: fields.steps,
  };
}

const ok = 'succeeded' as const;

/**
 * r1: regular, succeeded. TEST 09:10–09:20, approval 09:30–10:30, PROD migrate 10:40, deploy, verify,
 * bake until 11:10. Production: started 10:40, work done 11:10 (30 min), lead 09:00 → 11:10 (7800 s).
 */
const r1 = release('r1', {
  status: 'succeeded',
  created: at(3, '09:00'),
  steps: [
    step('test', 'change', ok, 3, '09:10', '09:20'),
    step('production', 'gate', ok, 3, '09:30', '10:30'),
    step('production', 'change', ok, 3, '10:40', '10:45'),
    step('production', 'change', ok, 3, '10:45', '10:55'),
    step('production', 'check', ok, 3, '10:55', '11:00'),
    step('production', 'check', ok, 3, '11:00', '11:10'),
  ],
});

/**
 * r2: emergency, awaiting its incident review: production work done. Deploy 14:05, bake until 14:25
 * (1200 s: the "service restored" confirmation after it waits for a person, not the deployment), lead
 * 14:00 → 14:55 with the confirmation (3300 s).
 */
const r2 = release('r2', {
  type: 'emergency',
  status: 'awaiting-docs',
  created: at(10, '14:00'),
  steps: [
    step('production', 'gate', ok, 10, '14:00', '14:05'),
    step('production', 'change', ok, 10, '14:05', '14:15'),
    step('production', 'check', ok, 10, '14:15', '14:20'),
    step('production', 'check', ok, 10, '14:20', '14:25'),
    step('production', 'gate', ok, 10, '14:25', '14:55'),
  ],
});

/**
 * r3: regular, rolled back automatically by its bake at 10:25; the rollback ended (verified) 10:30:
 * a rollback and a change failure, restored in 300 s. Its TEST work ended well and it went on: on TEST
 * it is a success (09:10–09:20).
 */
const r3 = release('r3', {
  status: 'rolled-back',
  created: at(17, '09:00'),
  rollback: { startedAt: at(17, '10:25'), finishedAt: at(17, '10:30') },
  steps: [
    step('test', 'change', ok, 17, '09:10', '09:20'),
    step('production', 'change', ok, 17, '10:00', '10:10'),
    step('production', 'check', ok, 17, '10:10', '10:15'),
    step('production', 'check', 'failed', 17, '10:15', '10:25'),
    step('production', 'undo', 'compensated', 17, '10:25', '10:27'),
  ],
});

/** r4: regular, succeeded, then rolled back by order at 13:00, done 13:10: restored in 600 s. */
const r4 = release('r4', {
  status: 'rolled-back',
  created: at(20, '09:00'),
  rollback: { startedAt: at(20, '13:00'), finishedAt: at(20, '13:10') },
  steps: [
    step('production', 'change', ok, 20, '10:00', '10:10'),
    step('production', 'check', ok, 20, '10:10', '10:20'),
    step('production', 'undo', 'compensated', 20, '13:00', '13:05'),
  ],
});

/** r5: regular, its production deploy failed and changed nothing: a failure, no rollback, no change failure. */
const r5 = release('r5', {
  status: 'failed',
  created: at(24, '09:00'),
  steps: [step('production', 'change', 'failed', 24, '10:00', '10:05')],
});

/** r6: regular, still verifying production: in flight, in no rate. */
const r6 = release('r6', {
  status: 'running',
  created: at(26, '09:00'),
  steps: [
    step('production', 'change', ok, 26, '10:00', '10:10'),
    step('production', 'check', 'running', 26, '10:10', null),
  ],
});

/**
 * r7: emergency, deployed, then its "service restored" confirmation expired at 10:20 (production
 * keeps the change): a change failure, restored when r8 (a hotfix) ended its production work at
 * 11:50: 5400 s.
 */
const r7 = release('r7', {
  type: 'emergency',
  status: 'expired',
  created: at(12, '08:00'),
  steps: [
    step('production', 'gate', ok, 12, '08:00', '08:05'),
    step('production', 'change', ok, 12, '08:05', '08:15'),
    step('production', 'check', ok, 12, '08:15', '08:20'),
    step('production', 'gate', 'failed', 12, '08:20', '10:20'),
  ],
});

/** r8: hotfix, succeeded: deploy 11:30, verified 11:50 (1200 s), lead 11:00 → 11:50 (3000 s). */
const r8 = release('r8', {
  type: 'hotfix',
  status: 'succeeded',
  created: at(12, '11:00'),
  steps: [
    step('production', 'change', ok, 12, '11:30', '11:40'),
    step('production', 'check', ok, 12, '11:40', '11:50'),
  ],
});

/** r9: another service, succeeded: deploy 10:00–10:10 (600 s), lead 09:50 → 10:10 (1200 s). */
const r9 = release('r9', {
  service: 'edm-sender',
  status: 'succeeded',
  created: at(5, '09:50'),
  steps: [step('production', 'change', ok, 5, '10:00', '10:10')],
});

const RECORDS = [r1, r2, r3, r4, r5, r6, r7, r8, r9];

/** The metrics as key → [value, sample, met]. */
const figures = (metrics: DeliveryMetric[]) =>
  Object.fromEntries(metrics.map((metric) => [metric.key, [metric.value, metric.sample, metric.met]]));

describe('delivery metrics of production', () => {
  it('counts every deployment of the window: successes, failures, rollbacks, restores', () => {
    // Successes r1 r2 r8 r9 (4 in 4 weeks); finished 8 (r6 in flight); rollbacks r3 r4; change
    // failures r3 r4 r7; restores 300, 600, 5400 s.
    expect(figures(computeDeliveryMetrics(RECORDS, PRODUCTION))).toEqual({
      deploymentFrequency: [1, 4, false],
      successRate: [0.5, 8, false],
      averageDeploymentTime: [(1800 + 1200 + 1200 + 600) / 4, 4, true],
      rollbackRate: [0.25, 8, false],
      changeFailureRate: [0.375, 8, null],
      meanTimeToRestore: [(300 + 600 + 5400) / 3, 3, true],
      leadTime: [(7800 + 3300 + 3000 + 1200) / 4, 4, null],
    });
  });

  it('says each metric’s label, unit and the seed’s target, in the documented order', () => {
    const metrics = computeDeliveryMetrics(RECORDS, PRODUCTION);
    expect(metrics.map(({ key, label, unit, target }) => ({ key, label, unit, target }))).toEqual([
      {
        key: 'deploymentFrequency',
        label: 'Deployment frequency',
        unit: 'per-week',
        target: { op: '>=', value: 2 },
      },
      {
        key: 'successRate',
        label: 'Deployment success rate',
        unit: 'ratio',
        target: { op: '>', value: 0.95 },
      },
      {
        key: 'averageDeploymentTime',
        label: 'Average deployment time',
        unit: 'seconds',
        target: { op: '<', value: 1800 },
      },
      { key: 'rollbackRate', label: 'Rollback rate', unit: 'ratio', target: { op: '<', value: 0.05 } },
      { key: 'changeFailureRate', label: 'Change failure rate', unit: 'ratio', target: null },
      {
        key: 'meanTimeToRestore',
        label: 'Mean time to restore',
        unit: 'seconds',
        target: { op: '<', value: 7200 },
      },
      { key: 'leadTime', label: 'Lead time', unit: 'seconds', target: null },
    ]);
  });

  it('of one type counts that type’s deployments, restored by a release of any type', () => {
    // Regular: successes r1 r9; finished r1 r3 r4 r5 r9.
    expect(figures(computeDeliveryMetrics(RECORDS, { ...PRODUCTION, type: 'regular' }))).toEqual({
      deploymentFrequency: [0.5, 2, false],
      successRate: [0.4, 5, false],
      averageDeploymentTime: [1200, 2, true],
      rollbackRate: [0.4, 5, false],
      changeFailureRate: [0.4, 5, null],
      meanTimeToRestore: [450, 2, true],
      leadTime: [4500, 2, null],
    });
    // Emergency: r2 succeeded; r7's expiry was restored by the hotfix r8.
    expect(figures(computeDeliveryMetrics(RECORDS, { ...PRODUCTION, type: 'emergency' }))).toMatchObject({
      successRate: [0.5, 2, false],
      changeFailureRate: [0.5, 2, null],
      meanTimeToRestore: [5400, 1, true],
    });
  });

  it('of one service counts that service only', () => {
    expect(figures(computeDeliveryMetrics(RECORDS, { ...PRODUCTION, service: 'edm-sender' }))).toEqual({
      deploymentFrequency: [0.25, 1, false],
      successRate: [1, 1, true],
      averageDeploymentTime: [600, 1, true],
      rollbackRate: [0, 1, true],
      changeFailureRate: [0, 1, null],
      meanTimeToRestore: [null, 0, null],
      leadTime: [1200, 1, null],
    });
  });

  it('with no deployment: a frequency of 0, and nothing else to measure', () => {
    expect(
      computeDeliveryMetrics([], PRODUCTION).map(({ key, value, met, sample }) => [key, value, met, sample]),
    ).toEqual([
      ['deploymentFrequency', 0, false, 0],
      ['successRate', null, null, 0],
      ['averageDeploymentTime', null, null, 0],
      ['rollbackRate', null, null, 0],
      ['changeFailureRate', null, null, 0],
      ['meanTimeToRestore', null, null, 0],
      ['leadTime', null, null, 0],
    ]);
  });

  it('leaves a release still in flight out of every rate, even with a failed step waiting for a decision', () => {
    const waiting = release('waiting', {
      status: 'waiting-decision',
      created: at(9, '09:00'),
      steps: [step('production', 'change', 'failed', 9, '10:00', '10:05')],
    });
    const rollingBack = release('rolling-back', {
      status: 'rolling-back',
      created: at(9, '11:00'),
      rollback: { startedAt: at(9, '12:00'), finishedAt: null },
      steps: [
        step('production', 'change', ok, 9, '11:10', '11:20'),
        step('production', 'undo', 'running', 9, '12:00', null),
      ],
    });
    expect(figures(computeDeliveryMetrics([r1, r6, waiting, rollingBack], PRODUCTION))).toMatchObject({
      deploymentFrequency: [0.25, 1, false],
      successRate: [1, 1, true],
      rollbackRate: [0, 1, true],
    });
  });

  it('counts a deployment by its first production change: at from is in, at to is out, a start before from is out', () => {
    const deployed = (id: string, created: Date, start: Date) =>
      release(id, {
        status: 'succeeded',
        created,
        steps: [
          {
            environment: 'production',
            part: 'change',
            status: ok,
            startedAt: start,
            finishedAt: new Date(start.getTime() + 600_000),
          },
        ],
      });
    const records = [
      // Requested before the window, deployed at its first instant: in, with its whole lead time.
      deployed('at-from', at(1, '23:00'), WINDOW.from),
      deployed('at-to', at(29, '23:00'), WINDOW.to),
      deployed('before', at(1, '20:00'), new Date(WINDOW.from.getTime() - 1)),
      // A pre-deployment check in production before the window does not make its deployment start then.
      release('checked-before', {
        status: 'succeeded',
        created: at(1, '22:00'),
        steps: [
          step('production', 'check', ok, 1, '22:00', '22:05'),
          step('production', 'change', ok, 2, '01:00', '01:10'),
        ],
      }),
    ];
    expect(figures(computeDeliveryMetrics(records, PRODUCTION))).toMatchObject({
      deploymentFrequency: [0.5, 2, false],
      averageDeploymentTime: [600, 2, true],
      leadTime: [(4200 + 11_400) / 2, 2, null],
    });
  });

  it('restores a failed step’s compensations in production when every one was done, and a failed rollback by the next success', () => {
    // Verification failed 10:20, compensated 10:20–10:22 (no rollback: R-COMPENSATE): restored in 120 s.
    const compensated = release('compensated', {
      status: 'failed',
      created: at(4, '09:00'),
      steps: [
        step('production', 'change', ok, 4, '10:00', '10:10'),
        step('production', 'check', 'failed', 4, '10:10', '10:20'),
        step('production', 'undo', 'compensated', 4, '10:20', '10:22'),
      ],
    });
    // A rollback whose verification failed (ends `failed`): restored only when r8 succeeded, at
    // 12 Nov 11:50, 1 h 50 after the rollback began at 10:00.
    const unverified = release('unverified', {
      status: 'failed',
      created: at(12, '08:30'),
      rollback: { startedAt: at(12, '10:00'), finishedAt: at(12, '10:05') },
      steps: [
        step('production', 'change', ok, 12, '09:00', '09:10'),
        step('production', 'undo', 'compensated', 12, '10:00', '10:02'),
      ],
    });
    // Never restored yet: left out of the mean, still a change failure.
    const unrestored = release('unrestored', {
      status: 'failed',
      created: at(27, '08:30'),
      rollback: { startedAt: at(27, '10:00'), finishedAt: at(27, '10:05') },
      steps: [
        step('production', 'change', ok, 27, '09:00', '09:10'),
        step('production', 'undo', 'failed', 27, '10:00', '10:02'),
      ],
    });
    expect(
      figures(computeDeliveryMetrics([compensated, unverified, unrestored, r8], PRODUCTION)),
    ).toMatchObject({
      successRate: [0.25, 4, false],
      rollbackRate: [0.75, 4, false],
      changeFailureRate: [0.75, 4, null],
      meanTimeToRestore: [(120 + 6600) / 2, 2, true],
    });
  });
});

describe('delivery metrics of another environment', () => {
  it('count a release whose work there ended well and went on as a success, whatever production did', () => {
    // TEST: r1 09:10–09:20 (succeeded), r3 09:10–09:20 (rolled back in production only).
    expect(figures(computeDeliveryMetrics(RECORDS, { ...PRODUCTION, environment: 'test' }))).toEqual({
      deploymentFrequency: [0.5, 2, false],
      successRate: [1, 2, true],
      averageDeploymentTime: [600, 2, true],
      rollbackRate: [0, 2, true],
      changeFailureRate: [0, 2, null],
      meanTimeToRestore: [null, 0, null],
      leadTime: [1200, 2, null],
    });
  });

  it('count a release still working there as in flight, and one undone there as rolled back', () => {
    const stillTesting = release('still-testing', {
      status: 'running',
      created: at(6, '09:00'),
      steps: [
        step('test', 'change', ok, 6, '09:10', '09:20'),
        step('test', 'check', 'running', 6, '09:20', null),
      ],
    });
    const undoneOnTest = release('undone-on-test', {
      status: 'rolled-back',
      created: at(7, '09:00'),
      rollback: { startedAt: at(7, '12:00'), finishedAt: at(7, '12:10') },
      steps: [
        step('test', 'change', ok, 7, '09:10', '09:20'),
        step('production', 'change', ok, 7, '10:00', '10:10'),
        step('production', 'undo', 'compensated', 7, '12:00', '12:02'),
        step('test', 'undo', 'compensated', 7, '12:02', '12:04'),
      ],
    });
    expect(
      figures(computeDeliveryMetrics([stillTesting, undoneOnTest], { ...PRODUCTION, environment: 'test' })),
    ).toMatchObject({
      successRate: [0, 1, false],
      rollbackRate: [1, 1, false],
      meanTimeToRestore: [600, 1, true],
    });
  });
});
