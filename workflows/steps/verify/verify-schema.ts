// The verify kind's schemas and resolution: HTTP checks of an environment, every check passing in
// the same round within the attempts.
import { z } from '@hono/zod-openapi';
import { name, type ServiceConfig } from '../../../config/config-schema.js';
import { httpChecksOf } from '../../../runbooks/resolve-analysis.js';
import { runbookStepBase } from '../../../runbooks/runbook-step-base.js';
import { type HttpCheck, httpCheckSchema, planStepBase } from '../plan-schemas.js';
import { defineStep } from '../step-definition.js';

export const verifyRunbookStep = z.strictObject({
  ...runbookStepBase,
  kind: z.literal('verify'),
  /**
   * Only these checks, by name, from the service's `verification` and `checks` (R-CHECKLIST); default:
   * all of `verification`. A service lacking one of them has this step left out of its plan.
   */
  checks: z.array(name).min(1).optional(),
  attempts: z.number().int().min(1).max(100).default(5),
  intervalSeconds: z.number().positive().max(600).default(3),
});

export const verifyPlanStep = z.object({
  ...planStepBase,
  kind: z.literal('verify'),
  url: z.string(),
  checks: z.array(httpCheckSchema),
  attempts: z.number().int(),
  intervalMs: z.number().int(),
});
export type VerifyPlanStep = z.infer<typeof verifyPlanStep>;

/** The named checks from the service's verification and checks, or undefined when one is missing. */
function namedChecks(service: ServiceConfig, names: readonly string[] | undefined): HttpCheck[] | undefined {
  if (names === undefined) return undefined;
  const all = httpChecksOf({ ...service, verification: [...service.verification, ...service.checks] });
  const found = names.map((wanted) => all.find((check) => check.name === wanted));
  return found.every((check) => check !== undefined) ? (found as HttpCheck[]) : undefined;
}

export const verifyDefinition = defineStep(verifyRunbookStep, verifyPlanStep, {
  resolve: (step, { base, target }) => {
    const { serviceConfig, url } = target();
    return {
      ...base,
      kind: 'verify',
      url,
      checks: namedChecks(serviceConfig, step.checks) ?? httpChecksOf(serviceConfig),
      attempts: step.attempts,
      intervalMs: step.intervalSeconds * 1000,
    };
  },
  describeChecks: (step) =>
    `${step.checks.map((check) => `${check.name} (GET ${check.path})`).join(', ')} on ${step.url}`,
  withoutVersionChecks: (step) => ({
    ...step,
    checks: step.checks.map((check) => ({ ...check, expectVersion: false })),
  }),
  appliesTo: (step, service) => step.checks === undefined || namedChecks(service, step.checks) !== undefined,
});
