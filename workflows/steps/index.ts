// Step kind → executor. A new kind adds its executor here (and its schema and view elsewhere).
import type { PlanStep } from '../release-model.js';
import { runApplyConfigStep } from './apply-config-step.js';
import { runApprovalStep } from './approval-step.js';
import { runBakeStep } from './bake-step.js';
import { runBaselineStep } from './baseline-step.js';
import { runCommandStep } from './command-step.js';
import { runConfirmStep } from './confirm-step.js';
import { runDeployStep } from './deploy-step.js';
import { runMigrateStep } from './migrate-step.js';
import { runRollingDeployStep } from './rolling-deploy-step.js';
import type { StepContext, StepDetail } from './step-context.js';
import { runVerifyStep } from './verify-step.js';
import { runWindowStep } from './window-step.js';

export type { StepContext, StepDetail } from './step-context.js';

export function executeStep(context: StepContext, step: PlanStep): Promise<StepDetail> {
  switch (step.kind) {
    case 'deploy':
      return step.strategy === 'rolling' ? runRollingDeployStep(context, step) : runDeployStep(context, step);
    case 'command':
      return runCommandStep(context, step);
    case 'verify':
      return runVerifyStep(context, step);
    case 'approval':
      return runApprovalStep(context, step);
    case 'window':
      return runWindowStep(context, step);
    case 'baseline':
      return runBaselineStep(context, step);
    case 'bake':
      return runBakeStep(context, step);
    case 'migrate':
      return runMigrateStep(context, step);
    case 'confirm':
      return runConfirmStep(context, step);
    case 'apply-config':
      return runApplyConfigStep(context, step);
  }
}
