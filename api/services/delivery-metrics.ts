// Delivery metrics (R-METRICS) from release records: records in, metrics out, nothing read or
// written. What counts as a deployment, a success, a rollback or a restore is set out in
// docs/delivery-metrics.md; the functions below are that text as code.
import type { DeliveryRow, DeliveryStepRow } from '../../db/delivery-records.js';
import { holdsServiceLock, type ReleaseStatus, type ReleaseType } from '../../workflows/release-model.js';

export const DELIVERY_METRIC_KEYS = [
  'deploymentFrequency',
  'successRate',
  'averageDeploymentTime',
  'rollbackRate',
  'changeFailureRate',
  'meanTimeToRestore',
  'leadTime',
] as const;
export type DeliveryMetricKey = (typeof DELIVERY_METRIC_KEYS)[number];

export const DELIVERY_METRIC_UNITS = ['per-week', 'ratio', 'seconds'] as const;
export type DeliveryMetricUnit = (typeof DELIVERY_METRIC_UNITS)[number];

export const TARGET_OPERATORS = ['>=', '>', '<'] as const;
export type TargetOperator = (typeof TARGET_OPERATORS)[number];

export interface DeliveryTarget {
  op: TargetOperator;
  value: number;
}

export interface DeliveryMetric {
  key: DeliveryMetricKey;
  label: string;
  /** Null when there is nothing to measure (sample 0), except the frequency: no deployment is 0 a week. */
  value: number | null;
  unit: DeliveryMetricUnit;
  /** The seed's target; null where the seed sets none. */
  target: DeliveryTarget | null;
  /** Whether the value meets the target; null without a value or a target. */
  met: boolean | null;
  /** How many deployments (or restores) the value is computed from. */
  sample: number;
}

/**
 * The seed's targets (持续改进机制 / 度量指标): 部署频率 ≥ 2 a week, 部署成功率 > 95 %, 平均部署时间
 * < 30 min, 回滚率 < 5 %, 平均故障恢复时间 < 2 h. Change failure rate and lead time have none.
 */
const METRICS: Record<
  DeliveryMetricKey,
  { label: string; unit: DeliveryMetricUnit; target: DeliveryTarget | null }
> = {
  deploymentFrequency: { label: 'Deployment frequency', unit: 'per-week', target: { op: '>=', value: 2 } },
  successRate: { label: 'Deployment success rate', unit: 'ratio', target: { op: '>', value: 0.95 } },
  averageDeploymentTime: {
    label: 'Average deployment time',
    unit: 'seconds',
    target: { op: '<', value: 30 * 60 },
  },
  rollbackRate: { label: 'Rollback rate', unit: 'ratio', target: { op: '<', value: 0.05 } },
  changeFailureRate: { label: 'Change failure rate', unit: 'ratio', target: null },
  meanTimeToRestore: { label: 'Mean time to restore', unit: 'seconds', target: { op: '<', value: 2 * 3600 } },
  leadTime: { label: 'Lead time', unit: 'seconds', target: null },
};

/**
 * What a step record is to a deployment: `change` changes a target (deploy, migrate, apply-config),
 * `gate` waits for people or the calendar (approval, confirm, window), `undo` is a compensation of a
 * rollback, `check` is anything else (verify, bake, baseline, command).
 */
export type DeliveryStepPart = 'change' | 'gate' | 'undo' | 'check';

/** A step record as the metrics see it: its kind reduced to the part it plays. */
export type DeliveryStep = Omit<DeliveryStepRow, 'kind'> & { part: DeliveryStepPart };

/** One release record, with what the metrics read of it. */
export type DeliveryRecord = Omit<DeliveryRow, 'steps'> & { steps: DeliveryStep[] };

export interface DeliveryScope {
  environment: string;
  /** Deployments whose first change in the environment started in [from, to). */
  from: Date;
  to: Date;
  service?: string;
  type?: ReleaseType;
}

/** Statuses of a release whose production work is done (R-POSTHOC: a hotfix may still owe its documents). */
const SUCCEEDED: readonly ReleaseStatus[] = ['succeeded', 'awaiting-docs'];

type Outcome = 'success' | 'failure' | 'in-flight';

/** A release's deployment in one environment: it started changing a target there. */
interface Deployment {
  record: DeliveryRecord;
  /** The first change step's start in the environment (ms). */
  startedAt: number;
  outcome: Outcome;
  /** Its production work is done (success): the end of its last step there. */
  doneAt: number;
  /** The end of its last step there that waits for nobody (no gate): the deployment time's end. */
  workDoneAt: number;
  /** Something was undone there (a rollback or a compensation). */
  rolledBack: boolean;
  /** A change step there ended well and the release then failed: the change had reached users. */
  changeFailed: boolean;
  /** When the failure was acted on: the first failed step, undo or rollback there (change failures). */
  failedAt: number;
  /** When its own undo put the previous state back (a verified rollback, or every undo done). */
  undoneAt: number | undefined;
}

const ms = (date: Date): number => date.getTime();
const max = (values: number[]): number => Math.max(...values);
const min = (values: number[]): number => Math.min(...values);
const endOf = (step: DeliveryStep): number => ms(step.finishedAt ?? step.startedAt);
const endedWell = (step: DeliveryStep): boolean =>
  step.finishedAt !== null && (step.status === 'succeeded' || step.status === 'skipped');

function outcomeOf(record: DeliveryRecord, environment: string, work: DeliveryStep[], undos: DeliveryStep[]) {
  // holdsServiceLock: the statuses of a release that can still change a target.
  const inFlight = holdsServiceLock(record.status);
  if (undos.length > 0) return inFlight ? 'in-flight' : 'failure';
  if (SUCCEEDED.includes(record.status)) return 'success';
  // Its work here ended well and it went on to another environment: whatever happened after (a
  // rejection at production's approval, say) is another environment's outcome.
  const lastEnd = max(work.map(endOf));
  const wentOn = record.steps.some(
    (step) => step.environment !== environment && step.part !== 'undo' && ms(step.startedAt) >= lastEnd,
  );
  if (work.every(endedWell) && wentOn) return 'success';
  return inFlight ? 'in-flight' : 'failure';
}

/** When its own undo restored the environment: a rollback verified, or every undo done without one. */
function undoneAt(record: DeliveryRecord, undos: DeliveryStep[]): number | undefined {
  if (undos.length === 0) return undefined;
  if (record.status === 'rolled-back') {
    return record.rollback?.finishedAt ? ms(record.rollback.finishedAt) : max(undos.map(endOf));
  }
  // A rollback that ended `failed` stopped or failed its verification: nothing says the previous
  // state is back. Compensations of a failed step (R-COMPENSATE) restore it when every one was done.
  if (record.rollback === null && undos.every((undo) => undo.status === 'compensated')) {
    return max(undos.map(endOf));
  }
  return undefined;
}

function deploymentIn(record: DeliveryRecord, environment: string): Deployment | undefined {
  const here = record.steps.filter((step) => step.environment === environment);
  const work = here.filter((step) => step.part !== 'undo');
  const undos = here.filter((step) => step.part === 'undo');
  const changes = work.filter((step) => step.part === 'change');
  if (changes.length === 0) return undefined;
  const outcome = outcomeOf(record, environment, work, undos);
  const failures = work.filter((step) => step.status === 'failed').map(endOf);
  const acted = [...failures, ...undos.map((undo) => ms(undo.startedAt))];
  if (undos.length > 0 && record.rollback) acted.push(ms(record.rollback.startedAt));
  const noGate = work.filter((step) => step.part !== 'gate');
  return {
    record,
    startedAt: min(changes.map((step) => ms(step.startedAt))),
    outcome,
    doneAt: max(work.map(endOf)),
    workDoneAt: max(noGate.map(endOf)),
    rolledBack: outcome === 'failure' && undos.length > 0,
    changeFailed: outcome === 'failure' && changes.some((step) => step.status === 'succeeded'),
    failedAt: acted.length > 0 ? min(acted) : ms(record.finishedAt ?? record.updatedAt),
    undoneAt: undoneAt(record, undos),
  };
}

/**
 * When the service was served well again after a change failure: its own undo, or else the first
 * later deployment of the service in the environment that succeeded (of any type: a hotfix often
 * is the fix). Undefined while neither has happened.
 */
function restoredAt(failure: Deployment, all: Deployment[]): number | undefined {
  if (failure.undoneAt !== undefined) return failure.undoneAt;
  const fixes = all.filter(
    (other) =>
      other !== failure &&
      other.outcome === 'success' &&
      other.record.service === failure.record.service &&
      other.doneAt > failure.failedAt,
  );
  return fixes.length > 0 ? min(fixes.map((fix) => fix.doneAt)) : undefined;
}

const WEEK_MS = 7 * 86_400_000;
const mean = (values: number[]): number | null =>
  values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
const ratio = (count: number, of: number): number | null => (of === 0 ? null : count / of);
/** Milliseconds as seconds, to the millisecond. */
const seconds = (meanMs: number | null): number | null =>
  meanMs === null ? null : Math.round(meanMs) / 1000;

function meets(value: number | null, target: DeliveryTarget | null): boolean | null {
  if (value === null || target === null) return null;
  if (target.op === '>=') return value >= target.value;
  if (target.op === '>') return value > target.value;
  return value < target.value;
}

function metric(key: DeliveryMetricKey, value: number | null, sample: number): DeliveryMetric {
  const { label, unit, target } = METRICS[key];
  return { key, label, value, unit, target, met: meets(value, target), sample };
}

/** The delivery metrics of the deployments in `scope`, in DELIVERY_METRIC_KEYS order. */
export function computeDeliveryMetrics(
  records: readonly DeliveryRecord[],
  scope: DeliveryScope,
): DeliveryMetric[] {
  if (!(scope.from < scope.to))
    throw new Error(`an empty window: ${scope.from.toISOString()} is not before ${scope.to.toISOString()}`);
  const all = records
    .filter((record) => scope.service === undefined || record.service === scope.service)
    .flatMap((record) => deploymentIn(record, scope.environment) ?? []);
  const counted = all.filter(
    (deployment) =>
      deployment.startedAt >= ms(scope.from) &&
      deployment.startedAt < ms(scope.to) &&
      (scope.type === undefined || deployment.record.type === scope.type),
  );
  const successes = counted.filter((deployment) => deployment.outcome === 'success');
  const finished = counted.filter((deployment) => deployment.outcome !== 'in-flight');
  const failures = finished.filter((deployment) => deployment.outcome === 'failure');
  const restores = failures.flatMap((failure) => {
    if (!failure.changeFailed) return [];
    const restored = restoredAt(failure, all);
    return restored === undefined ? [] : [Math.max(0, restored - failure.failedAt)];
  });
  const weeks = (ms(scope.to) - ms(scope.from)) / WEEK_MS;
  return [
    metric('deploymentFrequency', successes.length / weeks, successes.length),
    metric('successRate', ratio(successes.length, finished.length), finished.length),
    metric(
      'averageDeploymentTime',
      seconds(mean(successes.map((deployment) => deployment.workDoneAt - deployment.startedAt))),
      successes.length,
    ),
    metric(
      'rollbackRate',
      ratio(failures.filter((deployment) => deployment.rolledBack).length, finished.length),
      finished.length,
    ),
    metric(
      'changeFailureRate',
      ratio(failures.filter((deployment) => deployment.changeFailed).length, finished.length),
      finished.length,
    ),
    metric('meanTimeToRestore', seconds(mean(restores)), restores.length),
    metric(
      'leadTime',
      seconds(mean(successes.map((deployment) => deployment.doneAt - ms(deployment.record.createdAt)))),
      successes.length,
    ),
  ];
}
