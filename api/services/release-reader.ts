// Reading releases (R-RECORD, R-AUTH): from PostgreSQL, so a release reads even while no worker
// runs; reconciled with Temporal on the way when its record is still open. Reading is per
// environment: a release is visible to whoever reads one of the environments it touches, and shows
// them only the steps, plan, gates, decisions and compensations of the environments they read.
import type pg from 'pg';
import type { RecordedAlert } from '../../alerts/recording-notifier.js';
import {
  getRelease,
  listReleaseSummaries,
  type ReleaseDetail,
  type ReleaseSummaryRow,
} from '../../db/release-records.js';
import { assignSeats, missingSeats } from '../../workflows/approval-quorum.js';
import type {
  ApprovalPlanStep,
  PendingGate,
  ReleaseStatus,
  ReleaseType,
  Role,
  RollbackPolicy,
} from '../../workflows/release-model.js';
import {
  decisionEnvironment,
  HIDDEN,
  slaEnvironment,
  subjectEnvironment,
} from '../../workflows/release-rules.js';
import type { Principal } from '../principal.js';
import { NotFoundError } from '../service-errors.js';
import type { BakeProgress, LiveBake } from './bake-progress.js';
import type { ReleaseReconciler } from './release-reconciler.js';
import { type ReleaseRecord, ReleaseRecordCache } from './release-record-cache.js';

export interface ReleaseView extends ReleaseDetail {
  pendingGate: PendingGate | null;
  /** The alerts it raised with their deliveries (R-ALERT); absent where a view is built without them. */
  alerts?: RecordedAlert[];
  /** The running bake's latest judgement; null when no bake runs or it cannot be read now. */
  live?: LiveBake | null;
}

export interface ListQuery {
  status?: ReleaseStatus;
  service?: string;
  type?: ReleaseType;
  limit: number;
}

export function readableEnvironments(principal: Principal, environments: readonly string[]): string[] {
  return environments.filter((environment) => principal.rolesIn(environment).includes('read'));
}

export class ReleaseReader {
  readonly #records: ReleaseRecordCache;

  constructor(
    private readonly deps: {
      pool: pg.Pool;
      reconciler: ReleaseReconciler;
      environments: string[];
      bakeProgress: BakeProgress;
    },
  ) {
    this.#records = new ReleaseRecordCache(deps.pool);
  }

  /** The release as `principal` may see it; NotFoundError when it may see none of it. */
  async get(id: string, principal: Principal): Promise<ReleaseView> {
    let record = await this.#records.read(id);
    const readable = record ? readableEnvironments(principal, record.release.environments) : [];
    if (!record || readable.length === 0) throw new NotFoundError(`no release ${id}`);
    const readableSet = new Set(readable);
    // Asked alongside the reconciliation, which asks Temporal too: the two waits overlap.
    const liveRead = this.#liveBake(record.release, readableSet);
    if (!record.release.finishedAt && (await this.deps.reconciler.reconcile(record.release))) {
      record = (await this.#records.read(id)) as ReleaseRecord;
    }
    const { release, alerts } = record;
    const live = await liveRead;
    const view = {
      ...release,
      pendingGate: pendingGateOf(release),
      alerts,
      live: release.finishedAt ? null : live,
    };
    return visibleView(view, readableSet);
  }

  /**
   * Asked of Temporal only while a bake runs and the reader reads its environment, so reading any
   * other release costs what it did before. Never rejects.
   */
  async #liveBake(release: ReleaseDetail, readable: ReadonlySet<string>): Promise<LiveBake | null> {
    if (release.finishedAt || release.status !== 'running') return null;
    const step = release.plan.steps.find((candidate) => candidate.id === release.currentStep);
    if (step?.kind !== 'bake' || !readable.has(step.environment)) return null;
    return (await this.deps.bakeProgress.read(release.id, release.runId, step.id)) ?? null;
  }

  /** The unrestricted view, for the services that act on a release (never returned to a caller as is). */
  async getForAction(id: string): Promise<ReleaseView | undefined> {
    const release = await getRelease(this.deps.pool, id);
    return release && { ...release, pendingGate: pendingGateOf(release) };
  }

  async list(query: ListQuery, principal: Principal): Promise<ReleaseSummaryRow[]> {
    const readable = readableEnvironments(principal, this.deps.environments);
    if (readable.length === 0) return [];
    const filter = { ...query, readableEnvironments: readable };
    let rows = await listReleaseSummaries(this.deps.pool, filter);
    const open = rows.filter((row) => !row.finishedAt);
    const closed = await Promise.all(open.map((row) => this.deps.reconciler.reconcile(row)));
    if (closed.some(Boolean)) rows = await listReleaseSummaries(this.deps.pool, filter);
    const readableSet = new Set(readable);
    return rows.map((row) => visibleSummary(row, readableSet));
  }
}

/**
 * Who may see what (R-AUTH, release-rules.ts): each thing a release records belongs to an
 * environment — a step's, a gate's, an order's, a failure's — and is shown only to readers of it. What
 * belongs to no one environment (an order about the whole release, a failure outside any step) is
 * shown only to readers of every environment the release touches.
 */
function visibility(
  row: Pick<ReleaseSummaryRow, 'plan' | 'rollbackPlan' | 'environments'>,
  readable: ReadonlySet<string>,
) {
  const readsAll = row.environments.every((environment) => readable.has(environment));
  const sees = (environment: string | null | undefined) =>
    environment == null ? readsAll : readable.has(environment);
  const subject = (id: string) => subjectEnvironment(row.plan, row.rollbackPlan, id);
  return { sees, readsAll, subject };
}

/** A list row as the reader may see it: where the release stands, not what it does elsewhere. */
export function visibleSummary<R extends ReleaseSummaryRow>(row: R, readable: ReadonlySet<string>): R {
  const { sees, subject } = visibility(row, readable);
  const seesCurrent = row.currentEnvironment === null || sees(row.currentEnvironment);
  const failure = row.failure;
  // The failure's reason belongs to what it is about; its step, to the step's environment.
  const stepEnvironment = failure ? subject(failure.step) : undefined;
  const seesReason =
    !failure ||
    (failure.environments
      ? failure.environments.every((environment) => sees(environment))
      : sees(failure.environment ?? stepEnvironment));
  const seesStep = !failure || stepEnvironment === undefined || sees(stepEnvironment);
  return {
    ...row,
    currentStep: seesCurrent ? row.currentStep : null,
    currentEnvironment: seesCurrent ? row.currentEnvironment : null,
    failure: failure && {
      ...failure,
      step: seesStep ? failure.step : 'hidden',
      reason: seesReason ? failure.reason : HIDDEN,
    },
  };
}

/** Hides what belongs to environments the reader may not read (R-AUTH). */
export function visibleView(view: ReleaseView, readable: ReadonlySet<string>): ReleaseView {
  const { sees } = visibility(view, readable);
  const rollbackPolicy = view.plan.rollback;
  const rollback = view.rollback;
  const seesRollbackCause = rollback ? sees(rollback.environment ?? null) : false;
  const slaFor = slaEnvironment(view.plan);
  return {
    ...view,
    ...visibleSummary(view, readable),
    plan: {
      ...view.plan,
      steps: view.plan.steps.filter((step) => sees(step.environment)),
      ...(rollbackPolicy
        ? { rollback: visiblePolicy(rollbackPolicy, sees, stepsSeen(view.plan.steps, sees)) }
        : {}),
    },
    waitingWindow: view.waitingWindow && sees(view.currentEnvironment) ? view.waitingWindow : null,
    steps: view.steps.filter((step) => sees(step.environment)),
    decisions: view.decisions.filter((decision) =>
      sees(decisionEnvironment(decision, view.plan, view.rollbackPlan) ?? null),
    ),
    pendingGate: view.pendingGate && sees(view.pendingGate.environment) ? view.pendingGate : null,
    rollbackPlan: view.rollbackPlan.filter((entry) => sees(entry.environment)),
    pendingDecision:
      view.pendingDecision && sees(view.pendingDecision.environment) ? view.pendingDecision : null,
    pendingRollbackOrder:
      view.pendingRollbackOrder && sees(view.pendingRollbackOrder.environment)
        ? view.pendingRollbackOrder
        : null,
    ...(view.alerts ? { alerts: view.alerts.filter((alert) => sees(alert.environment)) } : {}),
    ...(view.live !== undefined
      ? {
          live:
            view.live && sees(subjectEnvironment(view.plan, view.rollbackPlan, view.live.step))
              ? view.live
              : null,
        }
      : {}),
    ...(view.sla !== undefined ? { sla: view.sla && sees(slaFor) ? view.sla : null } : {}),
    ...(view.escalations
      ? {
          escalations: view.escalations.filter((notice) =>
            sees(decisionEnvironment(notice, view.plan, view.rollbackPlan) ?? null),
          ),
        }
      : {}),
    rollback: rollback && {
      ...rollback,
      ...(seesRollbackCause ? {} : { reason: HIDDEN, orderedBy: [], automatic: undefined }),
      verification: rollback.verification.filter((check) => sees(check.environment)),
    },
  };
}

/** The ids of the plan's steps in environments the reader reads. */
function stepsSeen(
  steps: readonly { id: string; environment: string }[],
  sees: (environment: string) => boolean,
) {
  return new Set(steps.filter((step) => sees(step.environment)).map((step) => step.id));
}

/** The rollback policy's per-environment parts, for the environments the reader reads. */
function visiblePolicy(
  policy: RollbackPolicy,
  sees: (environment: string) => boolean,
  seenSteps: ReadonlySet<string>,
): RollbackPolicy {
  const readableEntries = <T>(record: Record<string, T>) =>
    Object.fromEntries(Object.entries(record).filter(([environment]) => sees(environment)));
  return {
    ...policy,
    deciders: readableEntries(policy.deciders),
    twoPersonEnvironments: policy.twoPersonEnvironments.filter(sees),
    guidedSteps: policy.guidedSteps.filter((stepId) => seenSteps.has(stepId)),
    skippableVerifications: policy.skippableVerifications.filter((stepId) => seenSteps.has(stepId)),
    verification: readableEntries(policy.verification ?? {}),
  };
}

/**
 * The gate a release waits at: as the v2 workflow last recorded it, or, for a v1 release, rebuilt
 * from its counted decisions.
 */
function pendingGateOf(release: ReleaseDetail): PendingGate | null {
  // v2 records its gate (an approval, or a window's override) and clears it when it closes.
  if (release.workflowType === 'releaseWorkflowV2') return release.finishedAt ? null : release.pendingGate;
  if (release.status !== 'awaiting-approval') return null;
  const step = release.plan.steps.find((candidate) => candidate.id === release.currentStep);
  if (step?.kind !== 'approval') return null;
  const gateStep = step as ApprovalPlanStep;
  const approved = release.decisions
    .filter((row) => row.gateId === gateStep.id && row.decision === 'approve' && row.outcome === 'counted')
    .map((row) => ({
      approver: row.actor,
      roles: row.roles as Role[],
      at: row.at,
      comment: row.comment,
    }));
  const seats = assignSeats(gateStep.quorum, approved) ?? new Map<string, Role>();
  const approvals = approved.map((row) => ({
    approver: row.approver,
    roles: row.roles,
    seat: seats.get(row.approver) as Role,
    at: row.at,
    ...(row.comment ? { comment: row.comment } : {}),
  }));
  return {
    gateId: gateStep.id,
    name: gateStep.name,
    environment: gateStep.environment,
    quorum: gateStep.quorum,
    approvals,
    missing: missingSeats(gateStep.quorum, approvals),
  };
}
