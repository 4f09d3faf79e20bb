// The command kind's schemas and resolution: a command the service's configuration names, e.g. the
// integration tests (R-CHECKLIST automated items).
import { z } from '@hono/zod-openapi';
import { name } from '../../../config/config-schema.js';
import { PlanError, toCommandSpec } from '../../../runbooks/plan-error.js';
import { runbookStepBase } from '../../../runbooks/runbook-step-base.js';
import { commandSchema, planStepBase } from '../plan-schemas.js';
import { defineStep } from '../step-definition.js';

export const commandRunbookStep = z.strictObject({
  ...runbookStepBase,
  kind: z.literal('command'),
  /** The name of a command in the service's configuration, e.g. `integration-tests`. */
  command: name,
  attempts: z.number().int().min(1).max(10).default(1),
  /** Left out of the plan of a service that has no such command (e.g. database checks for edm-sender). */
  optional: z.boolean().default(false),
});

export const commandPlanStep = z.object({
  ...planStepBase,
  kind: z.literal('command'),
  command: commandSchema,
  maxAttempts: z.number(),
});
export type CommandPlanStep = z.infer<typeof commandPlanStep>;

export const commandDefinition = defineStep(commandRunbookStep, commandPlanStep, {
  resolve: (step, { base, service, target }) => {
    const { serviceConfig, values } = target();
    const command = serviceConfig.commands[step.command];
    if (!command) throw new PlanError(`service ${service} has no command ${step.command} (step ${step.id})`);
    return {
      ...base,
      kind: 'command',
      command: toCommandSpec(command, values, step.environment),
      maxAttempts: step.attempts,
    };
  },
  describeChecks: (step) => step.command.argv.join(' '),
  appliesTo: (step, service) => !step.optional || service.commands[step.command] !== undefined,
});
