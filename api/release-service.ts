// The operations behind the HTTP API: plan and start a release, read records, pass decisions on.
// API → Temporal client → workflow; records come back from PostgreSQL, written by the activities.
import { randomBytes } from 'node:crypto';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type pg from 'pg';
import type { RunwayConfig } from '../config/config-schema.js';
import {
  ActiveReleaseConflict,
  deleteRelease,
  getRelease,
  insertRelease,
  listReleases,
  type ReleaseDetail,
  type ReleaseFilter,
  type ReleaseRow,
  setRunId,
  updateReleaseState,
} from '../db/release-records.js';
import type { Logger } from '../logging/logger.js';
import { loadRunbook } from '../runbooks/load-runbook.js';
import { environmentsDeployedBy, resolveReleasePlan } from '../runbooks/resolve-release-plan.js';
import { assignSeats, judgeDecision, missingSeats } from '../workflows/approval-quorum.js';
import { approvalSignal, releaseStateQuery } from '../workflows/release-messages.js';
import type {
  ApprovalDecision,
  ApprovalPlanStep,
  ApproverRole,
  PendingGate,
  ReleaseInput,
  ReleasePlan,
  ReleaseType,
} from '../workflows/release-model.js';
import { isActiveStatus } from '../workflows/release-model.js';
import { releaseWorkflow } from '../workflows/release-workflow.js';
import { releaseTypeKey, serviceKey, statusKey, versionKey } from '../workflows/search-attributes.js';
import type { Principal } from './principal.js';

export interface StartRequest {
  type: ReleaseType;
  service: string;
  version: string;
  changeRef?: string;
}

export interface ReleaseView extends ReleaseDetail {
  pendingGate: PendingGate | null;
}

export interface ReleaseServiceDeps {
  client: Client;
  pool: pg.Pool;
  config: RunwayConfig;
  logger: Logger;
  runbookDir?: string;
}

/** The caller lacks a role for what they asked (403). */
export class ForbiddenError extends Error {}
/** The release is not in a state that allows the request (409). */
export class ConflictError extends Error {
  constructor(
    message: string,
    readonly activeReleaseId?: string,
  ) {
    super(message);
  }
}

const LIVE_QUERY_TIMEOUT_MS = 3_000;

export class ReleaseService {
  constructor(private readonly deps: ReleaseServiceDeps) {}

  /**
   * Resolves the runbook for a request and checks the requester may deploy everywhere it goes, so
   * a dry run predicts the real answer. Throws PlanError for a request that cannot run.
   */
  async plan(request: StartRequest, requester: Principal): Promise<ReleasePlan> {
    const runbook = await loadRunbook(request.type, this.deps.runbookDir);
    const plan = resolveReleasePlan({
      runbook,
      config: this.deps.config,
      service: request.service,
      version: request.version,
    });
    const lacking = environmentsDeployedBy(plan).filter(
      (environment) => !requester.rolesIn(environment).includes('deploy'),
    );
    if (lacking.length > 0) {
      throw new ForbiddenError(`${requester.name} lacks the deploy role in ${lacking.join(', ')}`);
    }
    return plan;
  }

  async start(request: StartRequest, requester: Principal): Promise<ReleaseView> {
    const plan = await this.plan(request, requester);
    const releaseId = `${request.service}-${request.type}-${request.version}-${randomBytes(3).toString('hex')}`;
    const record = {
      id: releaseId,
      ...request,
      requestedBy: requester.name,
      plan,
      temporalUrl: this.temporalUrl(releaseId),
    };
    await this.insertReconcilingStale(record);
    const input: ReleaseInput = { releaseId, ...request, requestedBy: requester.name, plan };
    let runId: string;
    try {
      const handle = await this.deps.client.workflow.start(releaseWorkflow, {
        taskQueue: this.deps.config.settings.temporal.taskQueue,
        workflowId: releaseId,
        args: [input],
        workflowIdConflictPolicy: 'FAIL',
        staticSummary: `${request.type} release of ${request.service} ${request.version}`,
        staticDetails: `Requested by ${requester.name}${request.changeRef ? `, change ${request.changeRef}` : ''}`,
        typedSearchAttributes: [
          { key: serviceKey, value: request.service },
          { key: releaseTypeKey, value: request.type },
          { key: versionKey, value: request.version },
          { key: statusKey, value: 'running' },
        ],
      });
      runId = handle.firstExecutionRunId;
    } catch (error) {
      // Never a half-started release (R-INPUT): without its workflow, the record goes too. A start
      // whose answer was lost may still have happened, so ask before deleting.
      if (!(await this.workflowExists(releaseId))) await deleteRelease(this.deps.pool, releaseId);
      throw error;
    }
    // Only a convenience for links: the workflow runs whether or not this write succeeds.
    await setRunId(this.deps.pool, releaseId, runId).catch((error: unknown) =>
      this.deps.logger.warn({ releaseId, err: String(error) }, 'could not record the run id'),
    );
    this.deps.logger.info({ releaseId, requestedBy: requester.name }, 'release started');
    return (await this.get(releaseId)) as ReleaseView;
  }

  async get(id: string): Promise<ReleaseView | undefined> {
    const release = await getRelease(this.deps.pool, id);
    return release && { ...release, pendingGate: pendingGateOf(release) };
  }

  list(filter: ReleaseFilter): Promise<ReleaseRow[]> {
    return listReleases(this.deps.pool, filter);
  }

  /**
   * Checks a decision with the same rules the workflow applies, so the caller gets an answer, then
   * signals it; the workflow's own check stays authoritative.
   */
  async decide(
    id: string,
    approver: Principal,
    decision: Pick<ApprovalDecision, 'decision' | 'comment'>,
  ): Promise<{ counted: true; missing: ApproverRole[] }> {
    const release = await this.get(id);
    if (!release) throw new NotFoundError(`no release ${id}`);
    const gate = await this.liveGate(release);
    if (!gate) {
      throw new ConflictError(`release ${id} is not waiting for approval (status ${release.status})`);
    }
    const signal: ApprovalDecision = {
      gateId: gate.gateId,
      approver: approver.name,
      roles: approver.rolesIn(gate.environment),
      ...decision,
    };
    const verdict = judgeDecision(gate, signal, release.requestedBy);
    if (!verdict.accepted) {
      const isRoleProblem = verdict.refusal === 'requester' || verdict.refusal === 'not-eligible';
      throw isRoleProblem ? new ForbiddenError(verdict.reason) : new ConflictError(verdict.reason);
    }
    await this.deps.client.workflow
      .getHandle(id)
      .signal(approvalSignal, signal)
      .catch((error: unknown) => {
        // The record still showed a gate, but the workflow has ended (terminated by hand, say).
        if (error instanceof WorkflowNotFoundError)
          throw new ConflictError(`release ${id} is no longer running`);
        throw error;
      });
    this.deps.logger.info(
      { releaseId: id, approver: approver.name, decision: decision.decision },
      'decision signalled',
    );
    const missing =
      verdict.kind === 'approval'
        ? missingSeats(
            gate.quorum,
            Object.values(verdict.seats).map((seat) => ({ seat })),
          )
        : [];
    return { counted: true, missing };
  }

  /**
   * The gate as the workflow sees it now (approvals it has already counted), or, when no worker
   * answers the query in time, as the record has it.
   */
  private async liveGate(release: ReleaseView): Promise<PendingGate | null> {
    if (!isActiveStatus(release.status)) return null;
    const { client } = this.deps;
    try {
      const state = await client.withDeadline(Date.now() + LIVE_QUERY_TIMEOUT_MS, () =>
        client.workflow.getHandle(release.id).query(releaseStateQuery),
      );
      return state.pendingGate ?? null;
    } catch {
      return release.pendingGate;
    }
  }

  temporalUrl(workflowId: string): string {
    const { webUrl, namespace } = this.deps.config.settings.temporal;
    return `${webUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  }

  /**
   * One release per service at a time. A record left active by a workflow that no longer runs
   * (terminated by hand, say) must not block the service for ever: close it and try once more.
   */
  private async insertReconcilingStale(record: Parameters<typeof insertRelease>[1]): Promise<void> {
    try {
      await insertRelease(this.deps.pool, record);
    } catch (error) {
      if (!(error instanceof ActiveReleaseConflict)) throw error;
      const stale = await this.isClosedInTemporal(error.activeReleaseId);
      if (!stale) {
        throw new ConflictError(
          `release ${error.activeReleaseId} of ${record.service} is still in flight`,
          error.activeReleaseId,
        );
      }
      this.deps.logger.warn(
        { releaseId: error.activeReleaseId },
        'closing the record of a release whose workflow has ended',
      );
      await updateReleaseState(this.deps.pool, {
        releaseId: error.activeReleaseId,
        status: 'cancelled',
        finished: true,
        failure: { step: 'workflow', reason: 'workflow ended outside Runway' },
      });
      await insertRelease(this.deps.pool, record);
    }
  }

  private async workflowExists(releaseId: string): Promise<boolean> {
    return this.deps.client.workflow
      .getHandle(releaseId)
      .describe()
      .then(
        () => true,
        (error: unknown) => !(error instanceof WorkflowNotFoundError),
      );
  }

  private async isClosedInTemporal(releaseId: string): Promise<boolean> {
    try {
      const description = await this.deps.client.workflow.getHandle(releaseId).describe();
      return description.status.name !== 'RUNNING';
    } catch (error) {
      // Never started, or gone with its history: either way nothing runs.
      return error instanceof WorkflowNotFoundError;
    }
  }
}

export class NotFoundError extends Error {}

/** The gate a release waits at, rebuilt from its record so it reads even while no worker runs. */
function pendingGateOf(release: ReleaseDetail): PendingGate | null {
  if (release.status !== 'awaiting-approval') return null;
  const step = release.plan.steps.find((candidate) => candidate.id === release.currentStep);
  if (step?.kind !== 'approval') return null;
  const gateStep = step as ApprovalPlanStep;
  const approved = release.approvals.filter(
    (row) => row.gateId === gateStep.id && row.decision === 'approve',
  );
  const seats = assignSeats(gateStep.quorum, approved) ?? new Map<string, ApproverRole>();
  const approvals = approved.map((row) => ({
    approver: row.approver,
    roles: row.roles,
    seat: seats.get(row.approver) as ApproverRole,
    at: row.decidedAt.toISOString(),
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
