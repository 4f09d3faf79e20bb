// A manual checklist item (R-CHECKLIST): someone holding the item's role confirms it with a note.
import type { ConfirmPlanStep } from '../release-model.js';
import type { StepContext, StepDetail } from './step-context.js';

export async function runConfirmStep(_context: StepContext, step: ConfirmPlanStep): Promise<StepDetail> {
  throw new Error(`step ${step.id}: manual confirmations are not supported yet`);
}
