// The first thing every Runway workflow does: make sure Runway's API started it. Anyone who reaches
// Temporal can start any registered workflow type with any input; such a start runs nothing but this
// check and a refusal in the audit trail, then ends failed (bounded even with PostgreSQL down).
// Behind patched(): executions from before the check replay as they ran.
import { patched, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { RunwayActivities } from '../activities/index.js';
import { refuseStart, START_AUTHORITY_PATCH } from './legacy/start-refusal.js';
import { untrustedOrigin } from './payload-origin.js';

export { refuseStart, START_AUTHORITY_PATCH, START_REFUSED } from './legacy/start-refusal.js';

/** The patch id; never reuse it for another change. */

/**
 * The API's word that a start is Runway's own (security/start-authority.ts signs and checks it):
 * the workflow type and id, when it was issued, and a digest of the input, under an HMAC.
 */
export interface StartAuthority {
  v: 1;
  workflowType: string;
  workflowId: string;
  issuedAt: string;
  /** SHA-256 (base64url) of the canonical JSON of the workflow's input. */
  inputDigest: string;
  keyId: string;
  signature: string;
}

/**
 * Local, so no key enters the history; few short attempts, so a refusal ends the execution within
 * seconds whatever PostgreSQL does (the audit row is then missing, and the worker's log says so).
 */
const { verifyStartAuthority } = proxyLocalActivities<Pick<RunwayActivities, 'verifyStartAuthority'>>({
  startToCloseTimeout: '5 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
});

/**
 * Refuses (throws, ending the execution failed) unless Runway's API authorised this start. True once
 * admitted: the execution enforces the trust boundary (entry points refuse what arrives unsealed);
 * false for executions started before the check existed, which keep behaving as they did.
 */
export async function admitStart(input: unknown, authority: unknown): Promise<boolean> {
  if (!patched(START_AUTHORITY_PATCH)) return false;
  const info = workflowInfo();
  const unsealed = untrustedOrigin(input) ?? untrustedOrigin(authority);
  const verdict = unsealed
    ? { authorised: false as const, reason: `the start’s input is not Runway’s: ${unsealed}` }
    : await verifyStartAuthority({
        workflowType: info.workflowType,
        workflowId: info.workflowId,
        startTime: info.startTime.toISOString(),
        input,
        authority,
      }).catch((error: unknown) => ({
        authorised: false as const,
        reason: `the start authority could not be checked: ${error instanceof Error ? error.message : String(error)}`,
      }));
  if (!verdict.authorised) await refuseStart(verdict.reason);
  return true;
}
