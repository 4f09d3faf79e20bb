// Orders about a whole release and answers to a guided failure: roll back (R-RB-TRIGGER-MANUAL),
// abort, and retry | skip | rollback | abort when a failure waits for a person (R-GUIDED). The API
// answers what it can tell from the record (an unknown or ended release, a closed rollback window, a
// newer release of the service); everything else — who may order it, two-person confirmation, what
// the policy allows — the workflow judges, like approvals, against the deciders frozen at start.
import type pg from 'pg';
import type { RunwayConfig } from '../../config/config-schema.js';
import { listReleases } from '../../db/release-records.js';
import {
  type DecisionKind,
  type GuidedOption,
  RELEASE_ORDER_GATE,
  type ReleaseState,
  type Role,
} from '../../workflows/release-model.js';
import { rollbackEnvironment } from '../../workflows/rollback-scope.js';
import type { Principal } from '../principal.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../service-errors.js';
import { type ReleaseReader, type ReleaseView, readableEnvironments } from './release-reader.js';
import { newClaim, type WorkflowDecisions } from './workflow-decisions.js';

export type ReleaseOrderKind = 'rollback' | 'abort';

export interface OrderAnswer {
  accepted: true;
  decision: DecisionKind;
  /** Roles still to confirm it: `deploy` while a two-person rollback waits for its second person. */
  missing: Role[];
  message: string;
}

/** Releases newer than the one asked about, looked at to find one that really started. */
const NEWER_RELEASES_LOOKED_AT = 20;

/** Its production work succeeded: `succeeded`, or a hotfix or emergency still owing its documents. */
const hasSucceeded = (release: ReleaseView): boolean =>
  release.status === 'succeeded' || release.status === 'awaiting-docs';

export class ReleaseOrders {
  constructor(
    private readonly deps: {
      pool: pg.Pool;
      config: RunwayConfig;
      reader: ReleaseReader;
      workflows: WorkflowDecisions;
      clock: () => number;
    },
  ) {}

  /** Rolls back or aborts the release (gate `release`), in the environment its newest change is in. */
  async order(
    id: string,
    principal: Principal,
    kind: ReleaseOrderKind,
    reason: string,
  ): Promise<OrderAnswer> {
    const release = await this.#actionable(id, principal);
    if (kind === 'rollback') await this.#assertRollbackOpen(release);
    if (kind === 'abort' && hasSucceeded(release)) {
      throw new ConflictError(
        `release ${id} has succeeded: there is nothing left to abort; order a rollback to undo it`,
      );
    }
    const state = await this.deps.workflows.liveState(id);
    const environment = rollbackEnvironment(
      release.plan,
      state ?? { rollbackPlan: release.rollbackPlan, environment: release.currentEnvironment ?? undefined },
    );
    return this.#submit(release, principal, { gateId: RELEASE_ORDER_GATE, environment }, kind, reason);
  }

  /** Answers the failure the release waits at (its `pendingDecision`). */
  async decide(
    id: string,
    principal: Principal,
    decision: GuidedOption,
    reason: string,
  ): Promise<OrderAnswer> {
    const release = await this.#actionable(id, principal);
    const state: Pick<ReleaseState, 'status' | 'pendingDecision'> = (await this.deps.workflows.liveState(
      id,
    )) ?? {
      status: release.status,
      ...(release.pendingDecision ? { pendingDecision: release.pendingDecision } : {}),
    };
    const pending = state.pendingDecision;
    if (state.status !== 'waiting-decision' || !pending) {
      throw new ConflictError(`release ${id} is not waiting for a decision (status ${state.status})`);
    }
    return this.#submit(release, principal, pending, decision, reason);
  }

  async #submit(
    release: ReleaseView,
    principal: Principal,
    gate: { gateId: string; environment: string },
    decision: DecisionKind,
    reason: string,
  ): Promise<OrderAnswer> {
    const verdict = await this.deps.workflows.submit(
      newClaim({
        releaseId: release.id,
        gateId: gate.gateId,
        actor: principal.name,
        roles: principal.rolesIn(gate.environment),
        decision,
        comment: reason,
      }),
    );
    return {
      accepted: true,
      decision: verdict.decision,
      missing: [...verdict.missing],
      message: answerMessage(release.id, verdict.decision, verdict.missing, gate.environment),
    };
  }

  /**
   * The release, when the caller may act on it: 404 when they cannot read it, 403 without `deploy`
   * in any of its environments, 409 when it has ended or predates rollback.
   */
  async #actionable(id: string, principal: Principal): Promise<ReleaseView> {
    const release = await this.deps.reader.getForAction(id);
    if (!release || readableEnvironments(principal, release.environments).length === 0) {
      throw new NotFoundError(`no release ${id}`);
    }
    if (!release.environments.some((environment) => principal.rolesIn(environment).includes('deploy'))) {
      throw new ForbiddenError(
        `${principal.name} holds deploy in none of the environments of release ${id} (${release.environments.join(', ')})`,
      );
    }
    if (release.finishedAt) throw new ConflictError(`release ${id} has ended (${release.status})`);
    if (release.workflowType === 'releaseWorkflow' || !release.plan.rollback) {
      throw new ConflictError(
        `release ${id} started before rollback existed: it can be neither rolled back, aborted nor decided through the API`,
      );
    }
    return release;
  }

  /** After success, a rollback may be ordered only within its window and before a newer release. */
  async #assertRollbackOpen(release: ReleaseView): Promise<void> {
    if (!hasSucceeded(release)) return;
    const until = release.rollbackOpenUntil === null ? undefined : new Date(release.rollbackOpenUntil);
    if (!until) {
      throw new ConflictError(
        `release ${release.id} succeeded and its runbook allows no rollback after success`,
      );
    }
    if (until.getTime() <= this.deps.clock()) {
      throw new ConflictError(
        `release ${release.id} can no longer be rolled back: its rollback window closed at ${until.toISOString()}`,
      );
    }
    const newer = await this.#newerRelease(release);
    if (newer) {
      throw new ConflictError(
        `release ${release.id} can no longer be rolled back: release ${newer} of ${release.service} started after this one`,
      );
    }
  }

  /** A release of the same service created after this one whose workflow started, if any. */
  async #newerRelease(release: ReleaseView): Promise<string | undefined> {
    const rows = await listReleases(this.deps.pool, {
      service: release.service,
      limit: NEWER_RELEASES_LOOKED_AT,
      readableEnvironments: Object.keys(this.deps.config.environments),
    });
    const created = new Date(release.createdAt).getTime();
    // A record whose workflow never started changed nothing: it does not close the window.
    return rows.find(
      (row) =>
        row.id !== release.id &&
        new Date(row.createdAt).getTime() > created &&
        !(row.status === 'abandoned' && row.claimedAt === null),
    )?.id;
  }
}

function answerMessage(
  id: string,
  decision: DecisionKind,
  missing: readonly Role[],
  environment: string,
): string {
  if (decision === 'rollback' && missing.length > 0) {
    return `rollback of release ${id} ordered; in ${environment} it needs a second person with ${missing.join(', ')} to order it too before it starts`;
  }
  switch (decision) {
    case 'rollback':
      return `rollback of release ${id} ordered: it undoes what it did, newest change first, then verifies`;
    case 'abort':
      return `abort of release ${id} ordered: it stops where it is and compensates what it changed`;
    case 'retry':
      return `retry decided: release ${id} tries what failed again`;
    case 'skip':
      return `skip decided: release ${id} goes on past what failed`;
    default:
      return `${decision} counted for release ${id}`;
  }
}
