// What a step kind is to the API and the planner (the workflow's side is step-kind.ts): its runbook
// schema, its resolved-plan schema (the single source of its TypeScript type and, through viewOf,
// of its OpenAPI component and JSON view), how a runbook step resolves against the configuration,
// and the view schemas of the undos it records. steps/step-definitions.ts lists them.
import type { z } from '@hono/zod-openapi';
import type { RunwayConfig, ServiceConfig } from '../../config/config-schema.js';
import type { Role } from '../release-model.js';
import { type ChecklistTag, viewOf } from './plan-schemas.js';

/** Where a runbook step resolves: the release asked for, and the step's common fields resolved. */
export interface ResolveContext {
  config: RunwayConfig;
  service: string;
  version: string;
  /** A config-change whose bundle is marked sensitive: approval steps add their sensitiveQuorum. */
  sensitive: boolean;
  base: { id: string; name: string; environment: string; checklist?: ChecklistTag };
  /** The service in the step's environment; throws a PlanError when it is not deployed there. */
  target(): {
    serviceConfig: ServiceConfig;
    url: string;
    /** What fills the commands' placeholders: the target's vars, service, version, environment, url. */
    values: Record<string, string>;
  };
}

export interface StepDefinition<Runbook extends { kind: string }, Plan> {
  kind: Runbook['kind'];
  runbookStep: z.ZodType<Runbook>;
  planStep: z.ZodType<Plan>;
  /** The step as the API shows it: the OpenAPI component's part and the JSON view's shape. */
  view: z.ZodType;
  /** Fills what the view shows as null or as older plans lacked, before the view's schema shapes it. */
  toView?(step: Plan): Record<string, unknown>;
  resolve(step: Runbook, context: ResolveContext): Plan;
  /** False: the step names what this service lacks and is left out of its plan (R-CHECKLIST). */
  appliesTo?(step: Runbook, service: ServiceConfig): boolean;
  /** The view schemas of the undos this kind records, for the rollback plan the API shows. */
  compensationViews?: z.ZodObject[];
  /** As a checklist item (R-CHECKLIST): what it checks, in words. */
  describeChecks(step: Plan): string;
  /** A manual checklist item: the role whose holder confirms it. None: the item is automated. */
  confirmedBy?(step: Plan): Role;
  /** What the runbook gets wrong about this step given the steps before it (another step's id…). */
  checkInRunbook?(
    step: Runbook,
    earlier: readonly { id: string; kind: string; environment: string }[],
  ): RunbookProblem | undefined;
  /** The step in a config-change's plan, which leaves the version alone: nothing checks the version. */
  withoutVersionChecks?(step: Plan): Plan;
}

export interface RunbookProblem {
  field: string;
  message: string;
}

/**
 * A kind's definition from its runbook and plan schemas: its name is the plan schema's `kind`, its
 * view the plan schema's viewOf unless `rest.view` says otherwise.
 */
export function defineStep<
  RunbookSchema extends z.ZodType<{ kind: string }>,
  Shape extends z.ZodRawShape & { kind: z.ZodLiteral<z.infer<RunbookSchema>['kind']> },
  Rest extends Omit<
    StepDefinition<z.infer<RunbookSchema>, z.infer<z.ZodObject<Shape>>>,
    'kind' | 'runbookStep' | 'planStep' | 'view'
  > & { view?: z.ZodType },
>(runbookStep: RunbookSchema, planStep: z.ZodObject<Shape>, rest: Rest) {
  const kind = planStep.shape.kind.value as z.infer<RunbookSchema>['kind'];
  const view = (rest.view ?? viewOf(planStep)) as Rest extends { view: infer V }
    ? V
    : ReturnType<typeof viewOf<Shape>>;
  return { ...rest, kind, runbookStep, planStep, view };
}
