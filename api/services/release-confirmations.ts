// Confirming a manual checklist item (R-CHECKLIST): the API signs who confirms which item with what
// note and asks the workflow, which judges it like an approval against the roster frozen at start
// and records it, counted or refused. Here only what the record can answer: which release, whether
// the item exists and is the one waiting, whether the caller holds its role at all.
import type { ConfirmPlanStep, Role } from '../../workflows/release-model.js';
import type { Principal } from '../principal.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../service-errors.js';
import { type ReleaseReader, readableEnvironments } from './release-reader.js';
import { newClaim, type WorkflowDecisions } from './workflow-decisions.js';

export interface ConfirmationRequest {
  stepId: string;
  note: string;
}

export interface ConfirmationAnswer {
  counted: true;
  stepId: string;
  confirmedBy: string;
  role: Role;
}

export class ReleaseConfirmations {
  constructor(private readonly deps: { reader: ReleaseReader; workflows: WorkflowDecisions }) {}

  async confirm(id: string, principal: Principal, request: ConfirmationRequest): Promise<ConfirmationAnswer> {
    const release = await this.deps.reader.getForAction(id);
    if (!release || readableEnvironments(principal, release.environments).length === 0) {
      throw new NotFoundError(`no release ${id}`);
    }
    const items = release.plan.steps.filter((step): step is ConfirmPlanStep => step.kind === 'confirm');
    const step = items.find((candidate) => candidate.id === request.stepId);
    if (!step) {
      const known = items.map((item) => item.id).join(', ') || 'none';
      throw new ConflictError(
        `release ${id} has no checklist item ${request.stepId} to confirm (items to confirm: ${known})`,
      );
    }
    if (release.finishedAt) throw new ConflictError(`release ${id} has ended (${release.status})`);
    const gate = release.pendingGate ?? (await this.deps.workflows.liveState(id))?.pendingGate;
    const roles = principal.rolesIn(step.environment);
    if (gate?.gateId !== step.id) {
      // Said before "not waiting", so nobody learns the release's progress through an item they may not confirm.
      if (!roles.includes(step.role)) throw lacksRole(principal, step);
      throw new ConflictError(
        `release ${id} is not waiting for ${step.id} (status ${release.status}${gate ? `, waiting at ${gate.gateId}` : ''})`,
      );
    }
    // Sent even when the caller lacks the role: the workflow refuses it and the release records who tried.
    const verdict = await this.deps.workflows.submit(
      newClaim({
        releaseId: id,
        gateId: step.id,
        actor: principal.name,
        roles,
        decision: 'confirm',
        comment: request.note,
      }),
    );
    return { counted: true, stepId: step.id, confirmedBy: principal.name, role: verdict.seat ?? step.role };
  }
}

function lacksRole(principal: Principal, step: ConfirmPlanStep): ForbiddenError {
  return new ForbiddenError(
    `${principal.name} does not hold ${step.role} in ${step.environment}, which ${step.id} needs`,
  );
}
