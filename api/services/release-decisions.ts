// Passing an approver's decision to the workflow (R-APPROVE): which gate it is for, as the record or
// the workflow says; signing, asking and answering are WorkflowDecisions'.
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { missingSeats } from '../../workflows/approval-quorum.js';
import { judgeDecision as judgeLegacyDecision } from '../../workflows/legacy/approval-quorum-v1.js';
import {
  approvalSignal as legacyApprovalSignal,
  releaseStateQuery as legacyStateQuery,
} from '../../workflows/legacy/release-messages-v1.js';
import {
  ACCESS_ROLES as LEGACY_ACCESS_ROLES,
  APPROVER_ROLES as LEGACY_APPROVER_ROLES,
  type Role as LegacyRole,
} from '../../workflows/legacy/release-model-v1.js';
import type { Role } from '../../workflows/release-model.js';
import type { Principal } from '../principal.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../service-errors.js';
import { type ReleaseReader, type ReleaseView, readableEnvironments } from './release-reader.js';
import { newClaim, QUERY_TIMEOUT_MS, type WorkflowDecisions } from './workflow-decisions.js';

export interface DecisionRequest {
  decision: 'approve' | 'reject';
  comment?: string;
}

export interface DecisionAnswer {
  counted: true;
  missing: Role[];
}

const LEGACY_ROLES: readonly string[] = [...LEGACY_ACCESS_ROLES, ...LEGACY_APPROVER_ROLES];
const isLegacyRole = (role: Role): role is LegacyRole => LEGACY_ROLES.includes(role);

export class ReleaseDecisions {
  constructor(
    private readonly deps: {
      /** For releases of the frozen v1 engine, which take an unsigned signal. */
      client: Client;
      reader: ReleaseReader;
      workflows: WorkflowDecisions;
    },
  ) {}

  /**
   * `at` says which kind of gate the caller means: an approval gate, or the override of a release
   * window (two admins, a reason). The other kind open at the moment is a 409.
   */
  async decide(
    id: string,
    approver: Principal,
    request: DecisionRequest,
    at: 'approval' | 'window' = 'approval',
  ): Promise<DecisionAnswer> {
    const release = await this.deps.reader.getForAction(id);
    if (!release || readableEnvironments(approver, release.environments).length === 0) {
      throw new NotFoundError(`no release ${id}`);
    }
    if (release.finishedAt) throw new ConflictError(`release ${id} has ended (${release.status})`);
    if (release.workflowType === 'releaseWorkflow' && at === 'approval') {
      return this.#decideLegacy(release, approver, request);
    }
    const gate = release.pendingGate ?? (await this.deps.workflows.liveState(id))?.pendingGate;
    const gateKind = gate && release.plan.steps.find((step) => step.id === gate.gateId)?.kind;
    if (!gate || gateKind !== at) {
      const waitingFor = at === 'approval' ? 'approval' : 'a release window';
      throw new ConflictError(`release ${id} is not waiting for ${waitingFor} (status ${release.status})`);
    }
    const verdict = await this.deps.workflows.submit(
      newClaim({
        releaseId: id,
        gateId: gate.gateId,
        actor: approver.name,
        roles: approver.rolesIn(gate.environment),
        decision: request.decision,
        ...(request.comment === undefined ? {} : { comment: request.comment }),
      }),
    );
    return { counted: true, missing: verdict.missing };
  }

  /**
   * A release started by the frozen v1 engine takes the unsigned v1 signal, judged here first with
   * v1's rules (the v1 workflow judges again). Such releases predate signed decisions.
   */
  async #decideLegacy(
    release: ReleaseView,
    approver: Principal,
    request: DecisionRequest,
  ): Promise<DecisionAnswer> {
    const { client } = this.deps;
    const handle = client.workflow.getHandle(release.id);
    const state = await client
      .withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(legacyStateQuery))
      .catch(() => undefined);
    const gate = state?.pendingGate ?? release.pendingGate;
    if (!gate) throw new ConflictError(`release ${release.id} is not waiting for approval`);
    const signal = {
      gateId: gate.gateId,
      approver: approver.name,
      // The v1 engine knows only the roles it was built with.
      roles: approver.rolesIn(gate.environment).filter(isLegacyRole),
      ...request,
    };
    // A v1 release's gates only ever have approver seats.
    const verdict = judgeLegacyDecision(
      gate as Parameters<typeof judgeLegacyDecision>[0],
      signal,
      release.requestedBy,
    );
    if (!verdict.accepted) {
      const isRoleProblem = verdict.refusal === 'requester' || verdict.refusal === 'not-eligible';
      throw isRoleProblem ? new ForbiddenError(verdict.reason) : new ConflictError(verdict.reason);
    }
    await handle.signal(legacyApprovalSignal, signal).catch((error: unknown) => {
      if (error instanceof WorkflowNotFoundError)
        throw new ConflictError(`release ${release.id} is no longer running`);
      throw error;
    });
    const missing =
      verdict.kind === 'approval'
        ? missingSeats(
            gate.quorum,
            Object.values(verdict.seats).map((seat) => ({ seat })),
          )
        : [];
    return { counted: true, missing };
  }
}
