// Decisions as the API signs them, for tests that talk to a workflow directly.
import { randomUUID } from 'node:crypto';
import { type DecisionKeys, parseDecisionKeys, signClaim } from '../../security/decision-signature.js';
import type { DecisionClaim, Role, SignedDecision } from '../../workflows/release-model.js';

export const TEST_DECISION_KEY_ENTRY = `test-1:${Buffer.alloc(32, 11).toString('base64url')}`;
export const testDecisionKeys: DecisionKeys = parseDecisionKeys(TEST_DECISION_KEY_ENTRY, 'test keys');
/** A key the workers do not know: what someone without the API's key can sign with. */
export const foreignDecisionKeys: DecisionKeys = parseDecisionKeys(
  `test-1:${Buffer.alloc(32, 99).toString('base64url')}`,
  'foreign keys',
);

export function claimFor(
  releaseId: string,
  actor: string,
  roles: Role[],
  decision: 'approve' | 'reject' = 'approve',
  extra: Partial<DecisionClaim> = {},
): DecisionClaim {
  return {
    v: 1,
    decisionId: randomUUID(),
    releaseId,
    gateId: 'change-approval',
    actor,
    roles,
    decision,
    issuedAt: new Date().toISOString(),
    ...extra,
  };
}

export function signedBy(keys: DecisionKeys, claim: DecisionClaim): SignedDecision {
  return signClaim(keys, claim);
}
