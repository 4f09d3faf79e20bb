// The worker's half of a start's check (workflows/start-authority.ts): whether Runway's API signed
// this start, with the worker's keys (a local activity: no key enters the history), and the audit
// row of a start refused.
import { Context } from '@temporalio/activity';
import { AuditLog } from '../db/audit-log.js';
import { checkStartAuthority, type StartToCheck, type StartVerdict } from '../security/start-authority.js';
import type { ActivityDeps } from './activity-deps.js';

export interface RefusedStart {
  workflowType: string;
  workflowId: string;
  reason: string;
}

export function createStartAuthorityActivities(deps: ActivityDeps) {
  return {
    async verifyStartAuthority(start: StartToCheck): Promise<StartVerdict> {
      return checkStartAuthority(deps.decisionKeys, start);
    },

    /** R-AUDIT: who started it is unknown — whoever reached Temporal; the run says which attempt. */
    async recordRefusedStart(refusal: RefusedStart): Promise<void> {
      const runId = Context.current().info.workflowExecution?.runId;
      deps.logger.warn({ ...refusal, runId }, 'start refused');
      await new AuditLog(deps.pool).record({
        actor: null,
        action: 'workflow.start-refused',
        target: refusal.workflowId,
        environment: null,
        outcome: 'refused',
        status: null,
        reason: refusal.reason,
        requestId: null,
        details: { workflowType: refusal.workflowType, runId },
      });
    },
  };
}
