// The post-hoc duty of a hotfix or emergency (R-POSTHOC): its documentation or incident-review link,
// attached by the requester or someone with deploy in production. The API answers what it can tell
// from the record (an unknown release, one that owes nothing or already has it); the workflow judges
// the signed `document` claim (gate `release`, the link as its comment) against the roster frozen at
// start, and only then does the release end `succeeded`.
import { RELEASE_ORDER_GATE } from '../../workflows/release-model.js';
import type { Principal } from '../principal.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../service-errors.js';
import { type ReleaseReader, readableEnvironments } from './release-reader.js';
import { newClaim, type WorkflowDecisions } from './workflow-decisions.js';

/** Where the people who may attach the link for someone else hold deploy. */
const DOCUMENTING_ENVIRONMENT = 'production';

export interface PostmortemAnswer {
  accepted: true;
  link: string;
  message: string;
}

export class ReleasePostmortems {
  constructor(private readonly deps: { reader: ReleaseReader; workflows: WorkflowDecisions }) {}

  async attach(id: string, principal: Principal, link: string, note?: string): Promise<PostmortemAnswer> {
    const release = await this.deps.reader.getForAction(id);
    if (!release || readableEnvironments(principal, release.environments).length === 0) {
      throw new NotFoundError(`no release ${id}`);
    }
    const mayDocument =
      principal.name === release.requestedBy || principal.rolesIn(DOCUMENTING_ENVIRONMENT).includes('deploy');
    if (!mayDocument) {
      throw new ForbiddenError(
        `${principal.name} may not attach the documentation of release ${id}: only its requester (${release.requestedBy}) or someone with deploy in ${DOCUMENTING_ENVIRONMENT}`,
      );
    }
    const duty = release.plan.oversight?.postHoc?.duty;
    if (!duty) throw new ConflictError(`release ${id} (${release.type}) owes no documentation afterwards`);
    if (release.postHoc?.attached) {
      throw new ConflictError(`release ${id} already has its ${duty}: ${release.postHoc.attached.link}`);
    }
    if (release.status !== 'awaiting-docs') {
      throw new ConflictError(
        `release ${id} is ${release.status}: documentation is attached once its production work is done (status awaiting-docs)`,
      );
    }
    const trimmedNote = note?.trim();
    await this.deps.workflows.submit(
      newClaim({
        releaseId: id,
        gateId: RELEASE_ORDER_GATE,
        actor: principal.name,
        roles: principal.rolesIn(DOCUMENTING_ENVIRONMENT),
        decision: 'document',
        // The workflow reads the link from the first line; the note follows on the next ones.
        comment: trimmedNote ? `${link}\n${trimmedNote}` : link,
      }),
    );
    return {
      accepted: true,
      link,
      message: `${duty} of release ${id} attached: the release is succeeded`,
    };
  }
}
