// A runbook is data: the ordered steps of one release type. Every type shares this schema and the
// one engine that walks it (workflows/release-workflow.ts); each step kind brings its own schema.
import { z } from 'zod';
import { RELEASE_TYPES } from '../workflows/release-model.js';
import {
  type BuiltInRunbookStep,
  definitionOf,
  runbookStepSchemas,
} from '../workflows/steps/step-definitions.js';

/** A runbook step: one of the step kinds' own runbook schemas (workflows/steps/<kind>/), by `kind`. */
export const runbookStepSchema = z.discriminatedUnion(
  'kind',
  runbookStepSchemas() as unknown as [BuiltInRunbookStep, ...BuiltInRunbookStep[]],
);

export const runbookSchema = z
  .strictObject({
    type: z.enum(RELEASE_TYPES),
    description: z.string().min(1),
    steps: z.array(runbookStepSchema).min(1),
  })
  .superRefine((runbook, context) => {
    const seen = new Set<string>();
    runbook.steps.forEach((step, index) => {
      if (seen.has(step.id)) {
        context.addIssue({
          code: 'custom',
          path: ['steps', index, 'id'],
          message: `step id "${step.id}" is used twice`,
        });
      }
      seen.add(step.id);
      const problem = definitionOf(step.kind).checkInRunbook?.(step, runbook.steps.slice(0, index));
      if (problem) {
        context.addIssue({ code: 'custom', path: ['steps', index, problem.field], message: problem.message });
      }
    });
  });

export type Runbook = z.infer<typeof runbookSchema>;
export type RunbookStep = z.infer<typeof runbookStepSchema>;
