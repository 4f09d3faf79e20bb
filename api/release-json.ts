// Releases as the API shows them. Every field is named here, so a column or plan field added later
// does not reach clients (or leak) until someone decides it should.
import type { ReleaseSummaryRow } from '../db/release-records.js';
import type {
  PendingDecision,
  PlanStep,
  ReleasePlan,
  Role,
  RollbackPolicy,
  RollbackReport,
} from '../workflows/release-model.js';
import { definitionOf, planStepView } from '../workflows/steps/step-definitions.js';
import type { PlanJson, ReleaseJson, ReleaseSummaryJson } from './release-schemas.js';
import type { ReleaseView } from './release-service.js';
import type { LiveBake } from './services/bake-progress.js';

/** pg hands back Date for timestamptz, records built in code carry strings: accept both. */
const iso = (value: Date | string): string => new Date(value).toISOString();

/** Shaped by the step kind's own view schema (workflows/steps/<kind>/), which names every field shown. */
const planStepJson = (step: PlanStep): PlanJson['steps'][number] =>
  planStepView(step) as PlanJson['steps'][number];

function rollbackPolicyJson(policy: RollbackPolicy): NonNullable<PlanJson['rollback']> {
  return {
    deciders: Object.fromEntries(
      Object.entries(policy.deciders).map(([environment, roster]) => [
        environment,
        roster.map((entry) => entry.identity),
      ]),
    ),
    twoPersonEnvironments: [...policy.twoPersonEnvironments],
    afterSuccessMs: policy.afterSuccessMs,
    guidedSteps: [...policy.guidedSteps],
    skippableVerifications: [...policy.skippableVerifications],
  };
}

export function planJson(plan: ReleasePlan): PlanJson {
  return {
    type: plan.type,
    description: plan.description,
    steps: plan.steps.map(planStepJson),
    rollback: plan.rollback ? rollbackPolicyJson(plan.rollback) : null,
  };
}

/**
 * `temporalUrlFor` fills in the link for records written before it was stored, so every release
 * links to its execution in Temporal Web.
 */
export function releaseSummaryJson(
  release: ReleaseSummaryRow,
  temporalUrlFor: (releaseId: string) => string,
): ReleaseSummaryJson {
  return {
    id: release.id,
    type: release.type,
    service: release.service,
    version: release.version,
    changeRef: release.changeRef,
    ...(release.configChange ? { configChange: { ...release.configChange } } : {}),
    requestedBy: release.requestedBy,
    status: release.status,
    currentStep: release.currentStep,
    currentEnvironment: release.currentEnvironment,
    environments: [...release.environments],
    failure: release.failure && { step: release.failure.step, reason: release.failure.reason },
    temporalUrl: release.temporalUrl ?? temporalUrlFor(release.id),
    createdAt: iso(release.createdAt),
    updatedAt: iso(release.updatedAt),
    finishedAt: release.finishedAt && iso(release.finishedAt),
  };
}

export function releaseJson(
  release: ReleaseView,
  temporalUrlFor: (releaseId: string) => string,
): ReleaseJson {
  const gate = release.pendingGate;
  return {
    ...releaseSummaryJson(release, temporalUrlFor),
    waitingWindow: release.waitingWindow ? { ...release.waitingWindow } : null,
    pendingGate: gate && {
      gateId: gate.gateId,
      name: gate.name,
      environment: gate.environment,
      quorum: [...gate.quorum],
      approvals: gate.approvals.map((approval) => ({
        approver: approval.approver,
        seat: approval.seat,
        at: iso(approval.at),
        comment: approval.comment ?? null,
      })),
      missing: [...gate.missing],
    },
    steps: release.steps.map((step) => ({
      id: step.id,
      name: step.name,
      kind: step.kind,
      environment: step.environment,
      status: step.status,
      startedAt: iso(step.startedAt),
      finishedAt: step.finishedAt ? iso(step.finishedAt) : null,
      durationMs: step.finishedAt ? Date.parse(step.finishedAt) - Date.parse(step.startedAt) : null,
      error: step.error ?? null,
      detail: step.detail ?? null,
    })),
    approvals: release.decisions
      .filter(
        (decision) =>
          decision.outcome === 'counted' &&
          (decision.decision === 'approve' || decision.decision === 'reject'),
      )
      .map((decision) => ({
        gateId: decision.gateId,
        approver: decision.actor,
        roles: decision.roles as Role[],
        decision: decision.decision as 'approve' | 'reject',
        comment: decision.comment ?? null,
        decidedAt: iso(decision.at),
      })),
    decisions: release.decisions.map((decision) => ({
      seq: decision.seq,
      gateId: decision.gateId,
      actor: decision.actor,
      claimedRoles: [...decision.roles],
      decision: decision.decision,
      comment: decision.comment ?? null,
      outcome: decision.outcome,
      refusal: decision.refusal ?? null,
      reason: decision.reason ?? null,
      seat: decision.seat ?? null,
      via: decision.via,
      decidedAt: iso(decision.at),
    })),
    // The array's order is the order the compensations would run in.
    rollbackPlan: release.rollbackPlan.map((entry) => ({
      id: entry.id,
      stepId: entry.stepId,
      environment: entry.environment,
      description: entry.description,
      action: { ...entry.action },
      status: entry.status,
      detail: entry.detail ?? null,
      ...timing(entry.startedAt, entry.finishedAt),
    })),
    pendingDecision: release.pendingDecision && pendingDecisionJson(release.pendingDecision),
    pendingRollbackOrder: release.pendingRollbackOrder && {
      requestedBy: release.pendingRollbackOrder.requestedBy,
      reason: release.pendingRollbackOrder.reason,
      at: iso(release.pendingRollbackOrder.at),
      environment: release.pendingRollbackOrder.environment,
    },
    rollback: release.rollback && rollbackReportJson(release.rollback),
    rollbackOpenUntil: release.rollbackOpenUntil && iso(release.rollbackOpenUntil),
    ...oversightJson(release),
    plan: planJson(release.plan),
    checklist: checklistJson(release),
    alerts: (release.alerts ?? []).map((alert) => ({
      key: alert.key,
      level: alert.level,
      kind: alert.kind,
      stepId: alert.stepId,
      environment: alert.environment,
      message: alert.message,
      audience: [...(alert.audience ?? [])],
      raisedAt: iso(alert.raisedAt),
      deliveries: alert.deliveries.map((delivery) => ({
        channel: delivery.channel,
        channelType: delivery.channelType,
        outcome: delivery.outcome,
        attempts: delivery.attempts,
        error: delivery.error,
        at: iso(delivery.at),
      })),
    })),
    live: release.live ? liveBakeJson(release.live) : null,
  };
}

/** Named field by field, like the rest: the reader already bounded and cleaned what Temporal gave. */
function liveBakeJson(live: LiveBake): NonNullable<ReleaseJson['live']> {
  return {
    step: live.step,
    kind: live.kind,
    elapsedMs: live.elapsedMs,
    verdict: live.verdict,
    summary: live.summary,
    checks: live.checks.map((check) =>
      check.outcome === 'no-verdict'
        ? { trigger: check.trigger, outcome: check.outcome, detail: check.detail }
        : {
            trigger: check.trigger,
            outcome: check.outcome,
            measured: check.measured,
            threshold: check.threshold,
            unit: check.unit,
            detail: check.detail,
          },
    ),
    windowMs: live.windowMs,
    traffic: live.traffic && {
      requests: live.traffic.requests,
      errors: live.traffic.errors,
      p95Ms: live.traffic.p95Ms,
    },
    updatedAt: iso(live.updatedAt),
  };
}

/** The plan's checklist items (R-CHECKLIST) in plan order, each with how its step went. */
function checklistJson(release: ReleaseView): ReleaseJson['checklist'] {
  return release.plan.steps.flatMap((step) => {
    if (!step.checklist) return [];
    const record = release.steps.filter((candidate) => candidate.id === step.id).at(-1);
    const definition = definitionOf(step.kind);
    const role = definition.confirmedBy?.(step) ?? null;
    const manual = role !== null;
    const detail = record?.status === 'succeeded' ? record.detail : undefined;
    const confirmation = manual && detail ? detail : undefined;
    const text = (value: unknown) => (typeof value === 'string' ? value : null);
    return [
      {
        phase: step.checklist.phase,
        item: step.checklist.item,
        stepId: step.id,
        environment: step.environment,
        kind: manual ? ('manual' as const) : ('automated' as const),
        status: record?.status ?? ('pending' as const),
        checks: manual ? null : definition.describeChecks(step),
        result: manual ? null : (record?.detail ?? null),
        error: record?.error ?? null,
        role,
        confirmedBy: text(confirmation?.confirmedBy),
        confirmedAt: confirmation && text(confirmation.at) ? iso(confirmation.at as string) : null,
        note: text(confirmation?.note),
      },
    ];
  });
}

/** When something ran and how long it took; nulls for what has not started or finished. */
function timing(startedAt: string | undefined, finishedAt: string | undefined) {
  return {
    startedAt: startedAt ? iso(startedAt) : null,
    finishedAt: finishedAt ? iso(finishedAt) : null,
    durationMs: startedAt && finishedAt ? Date.parse(finishedAt) - Date.parse(startedAt) : null,
  };
}

function pendingDecisionJson(pending: PendingDecision) {
  return {
    gateId: pending.gateId,
    kind: pending.kind,
    subject: pending.subject,
    environment: pending.environment,
    reason: pending.reason,
    options: [...pending.options],
    since: iso(pending.since),
  };
}

function rollbackReportJson(report: RollbackReport) {
  const automatic = report.automatic;
  return {
    cause: report.cause,
    reason: report.reason,
    orderedBy: [...report.orderedBy],
    automatic: automatic
      ? {
          trigger: automatic.trigger,
          measured: automatic.measured,
          threshold: automatic.threshold,
          unit: automatic.unit,
          summary: automatic.summary,
        }
      : null,
    startedAt: iso(report.startedAt),
    finishedAt: report.finishedAt ? iso(report.finishedAt) : null,
    // The workflow measures the rollback itself; its figure is preferred to the timestamps'.
    durationMs: report.durationMs ?? timing(report.startedAt, report.finishedAt).durationMs,
    verification: report.verification.map((check) => ({
      environment: check.environment,
      passed: check.passed,
      items: check.items.map((item) => ({ name: item.name, passed: item.passed, detail: item.detail })),
    })),
  };
}

/** SLA, escalations, post-hoc duty and supersession (R-SLA, R-ESCALATE, R-POSTHOC, R-EXPIRE). */
function oversightJson(
  release: ReleaseView,
): Pick<ReleaseJson, 'sla' | 'escalations' | 'postHoc' | 'supersededBy'> {
  const { sla, postHoc } = release;
  return {
    sla: sla
      ? {
          deadline: iso(sla.deadline),
          level: sla.level,
          breachedAt: sla.breachedAt ? iso(sla.breachedAt) : null,
          stoppedAt: sla.stoppedAt ? iso(sla.stoppedAt) : null,
        }
      : null,
    escalations: (release.escalations ?? []).map((notice) => ({
      gateId: notice.gateId,
      level: notice.level,
      roster: [...notice.roster],
      at: iso(notice.at),
    })),
    postHoc: postHoc
      ? {
          duty: postHoc.duty,
          owedSince: iso(postHoc.owedSince),
          reminders: postHoc.reminders,
          attached: postHoc.attached
            ? {
                link: postHoc.attached.link,
                by: postHoc.attached.by,
                at: iso(postHoc.attached.at),
                note: postHoc.attached.note ?? null,
              }
            : null,
        }
      : null,
    supersededBy: release.supersededBy ?? null,
  };
}
