// What every runbook step has, whatever its kind: its id, name, environment, what its failure
// leads to and the checklist item it is. Each kind's schema (workflows/steps/<kind>/) extends it.
import { z } from 'zod';
import { name } from '../config/config-schema.js';
import { CHECKLIST_PHASES } from '../workflows/release-model.js';

export const runbookStepBase = {
  id: name,
  name: z.string().min(1).optional(),
  environment: name,
  /**
   * `guided`: a failure waits for someone with deploy to decide retry, skip, roll back or abort
   * (R-GUIDED); default: compensate the environment and end.
   */
  onFailure: z.enum(['compensate', 'guided']).default('compensate'),
  /** A production verification or bake may be skipped in guided failure only when this says so. */
  allowSkip: z.boolean().default(false),
  /** The checklist item this step is (R-CHECKLIST): phase and the item's name. */
  checklist: z.strictObject({ phase: z.enum(CHECKLIST_PHASES), item: z.string().min(1).max(100) }).optional(),
};
