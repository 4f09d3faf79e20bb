// Releases as the API shows them. Every field is named here, so a column or plan field added later
// does not reach clients (or leak) until someone decides it should.
import type { ReleaseRow } from '../db/release-records.js';
import type { CommandSpec, PlanStep, ReleasePlan, Role } from '../workflows/release-model.js';
import type { PlanJson, ReleaseJson, ReleaseSummaryJson } from './release-schemas.js';
import type { ReleaseView } from './release-service.js';

/** pg hands back Date for timestamptz, records built in code carry strings: accept both. */
const iso = (value: Date | string): string => new Date(value).toISOString();

function commandJson(command: CommandSpec) {
  return { argv: [...command.argv], timeoutMs: command.timeoutMs, envFrom: { ...command.envFrom } };
}

function planStepJson(step: PlanStep): PlanJson['steps'][number] {
  const base = { id: step.id, name: step.name, environment: step.environment };
  switch (step.kind) {
    case 'deploy': {
      const { actions } = step.driver;
      return {
        ...base,
        kind: 'deploy',
        strategy: step.strategy,
        driver: {
          type: step.driver.type,
          actions: {
            inspect: commandJson(actions.inspect),
            deploy: commandJson(actions.deploy),
            check: commandJson(actions.check),
            switch: commandJson(actions.switch),
            // Plans resolved by the v1 engine have no retire action.
            ...(actions.retire ? { retire: commandJson(actions.retire) } : {}),
          },
        },
      };
    }
    case 'command':
      return { ...base, kind: 'command', command: commandJson(step.command), maxAttempts: step.maxAttempts };
    case 'verify':
      return {
        ...base,
        kind: 'verify',
        url: step.url,
        checks: step.checks.map((check) => ({
          name: check.name,
          path: check.path,
          expectStatus: check.expectStatus,
          expectVersion: check.expectVersion,
          timeoutMs: check.timeoutMs,
        })),
        attempts: step.attempts,
        intervalMs: step.intervalMs,
      };
    case 'approval':
      return {
        ...base,
        kind: 'approval',
        quorum: [...step.quorum],
        // Plans resolved by the v1 engine have no roster.
        roster: (step.roster ?? []).map((entry) => ({ identity: entry.identity, roles: [...entry.roles] })),
      };
    case 'window':
      return {
        ...base,
        kind: 'window',
        policy: { ...step.policy },
        minimumRemainingMs: step.minimumRemainingMs,
        recheckMs: step.recheckMs,
        override: {
          quorum: [...step.override.quorum],
          roster: step.override.roster.map((entry) => ({
            identity: entry.identity,
            roles: [...entry.roles],
          })),
        },
      };
  }
}

export function planJson(plan: ReleasePlan): PlanJson {
  return { type: plan.type, description: plan.description, steps: plan.steps.map(planStepJson) };
}

/**
 * `temporalUrlFor` fills in the link for records written before it was stored, so every release
 * links to its execution in Temporal Web.
 */
export function releaseSummaryJson(
  release: ReleaseRow,
  temporalUrlFor: (releaseId: string) => string,
): ReleaseSummaryJson {
  return {
    id: release.id,
    type: release.type,
    service: release.service,
    version: release.version,
    changeRef: release.changeRef,
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
      .filter((decision) => decision.outcome === 'counted')
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
    rollbackPlan: release.rollbackPlan.map((entry) => ({
      id: entry.id,
      stepId: entry.stepId,
      environment: entry.environment,
      description: entry.description,
      action: { ...entry.action },
      status: entry.status,
      detail: entry.detail ?? null,
    })),
    plan: planJson(release.plan),
  };
}
