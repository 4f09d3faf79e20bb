// Starts as Runway's API signs them, for tests that start workflows directly, and the worker's
// start-authority activities for tests whose other activities are stand-ins.
import {
  createStartAuthorityActivities,
  type RefusedStart,
} from '../../activities/start-authority-activities.js';
import { authoriseStart } from '../../security/start-authority.js';
import type { StartAuthority } from '../../workflows/start-authority.js';
import { testDecisionKeys } from './signed-decisions.js';

/**
 * A workflow's arguments with the API's start authority for this type, id and input. `issuedAt`: the
 * time-skipping server's clock, where it runs ahead of the host's.
 */
export function authorisedArgs<I>(
  workflowType: string,
  workflowId: string,
  input: I,
  issuedAt: Date = new Date(),
): [I, StartAuthority] {
  return [input, authoriseStart(testDecisionKeys, workflowType, workflowId, input, issuedAt)];
}

/** The real verification with the test key; refusals are kept in `refused` instead of the audit trail. */
export function startAuthorityStandIns(refused: RefusedStart[] = []) {
  const { verifyStartAuthority } = createStartAuthorityActivities({
    decisionKeys: testDecisionKeys,
  } as never);
  return {
    verifyStartAuthority,
    async recordRefusedStart(refusal: RefusedStart): Promise<void> {
      refused.push(refusal);
    },
  };
}
