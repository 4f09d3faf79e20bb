// Verifies that the API signed a decision (R-APPROVE). A local activity: the key stays in the worker.
import { verifySignedDecision } from '../security/decision-signature.js';
import type { SignedDecision } from '../workflows/release-model.js';
import type { ActivityDeps } from './activity-deps.js';

export function createDecisionActivities(deps: ActivityDeps) {
  return {
    async verifyDecision(signed: SignedDecision): Promise<{ valid: boolean; reason?: string }> {
      return verifySignedDecision(deps.decisionKeys, signed);
    },
  };
}
