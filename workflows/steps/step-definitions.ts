// The step kinds as the API and the planner know them (the engine's side is step-kinds.ts): their
// runbook and plan schemas, resolution and views, in the order the API documents them. Built-in
// kinds are listed here; registerStepDefinition adds one (a test's kind, say) from its own folder.
import { z } from '@hono/zod-openapi';
import { applyConfigDefinition } from './apply-config/apply-config-schema.js';
import { approvalDefinition } from './approval/approval-schema.js';
import { bakeDefinition } from './bake/bake-schema.js';
import { baselineDefinition } from './baseline/baseline-schema.js';
import { commandDefinition } from './command/command-schema.js';
import { confirmDefinition } from './confirm/confirm-schema.js';
import { deployDefinition } from './deploy/deploy-schema.js';
import { migrateDefinition } from './migrate/migrate-schema.js';
import type { StepDefinition } from './step-definition.js';
import { verifyDefinition } from './verify/verify-schema.js';
import { windowDefinition } from './window/window-schema.js';

// biome-ignore lint/suspicious/noExplicitAny: each definition has its own runbook and plan types.
export type AnyStepDefinition = StepDefinition<any, any>;

const BUILT_IN = [
  deployDefinition,
  commandDefinition,
  verifyDefinition,
  approvalDefinition,
  migrateDefinition,
  baselineDefinition,
  bakeDefinition,
  confirmDefinition,
  applyConfigDefinition,
  windowDefinition,
] as const;
type BuiltIn = (typeof BUILT_IN)[number];
type CompensationViewsOf<D> = D extends { compensationViews: readonly (infer V)[] } ? V : never;
/** A resolved plan step: one of the kinds listed here (release-model.ts's PlanStep). */
export type BuiltInPlanStep = z.infer<BuiltIn['planStep']>;
/** A runbook step's schema, for the kinds listed here. */
export type BuiltInRunbookStep = BuiltIn['runbookStep'];
/** A plan step as the API shows it, for the kinds listed here. */
export type PlanStepView = z.infer<BuiltIn['view']>;
/** An undo's action as the API shows it, for the kinds listed here. */
export type CompensationActionView = z.infer<CompensationViewsOf<BuiltIn> & z.ZodType>;

const definitions: AnyStepDefinition[] = [...BUILT_IN];

/** Adds a step kind defined in its own folder; its engine side is registered with registerStepKind. */
export function registerStepDefinition(definition: AnyStepDefinition): void {
  if (definitions.some((known) => known.kind === definition.kind)) {
    throw new Error(`step kind ${definition.kind} is defined twice`);
  }
  definitions.push(definition);
}

export const stepDefinitions = (): readonly AnyStepDefinition[] => definitions;

export function definitionOf(kind: string): AnyStepDefinition {
  const definition = definitions.find((known) => known.kind === kind);
  if (!definition) throw new Error(`no step kind ${kind}`);
  return definition;
}

/** A union told apart by `kind`: the kinds' schemas, in the order they are listed. */
function byKind(schemas: z.ZodType[]): z.ZodType {
  // biome-ignore lint/suspicious/noExplicitAny: every option is an object or union with a `kind` literal.
  return z.discriminatedUnion('kind', schemas as any);
}

export const runbookStepSchemas = () =>
  definitions.map((definition) => definition.runbookStep) as BuiltInRunbookStep[];
/** The plan step as the API shows it: the PlanStep component of the OpenAPI document. */
export const planStepViewSchema = () =>
  byKind(definitions.map((definition) => definition.view)) as z.ZodType<PlanStepView>;
/** The undos' actions as the API shows them. */
export const compensationActionView = () =>
  byKind(
    definitions.flatMap((definition) => definition.compensationViews ?? []),
  ) as z.ZodType<CompensationActionView>;

/**
 * A plan step as the API shows it: what its kind's view schema names, and nothing else. A step the
 * schema cannot shape (a plan older than its kind's last change) shows its common fields only, so
 * no field reaches readers before someone decides it should.
 */
export function planStepView(step: { kind: string }): unknown {
  const definition = definitionOf(step.kind);
  const prepared = { ...(definition.toView ? definition.toView(step) : step) } as Record<string, unknown>;
  prepared.checklist ??= null;
  const shaped = definition.view.safeParse(prepared);
  if (shaped.success) return shaped.data;
  const { id, name, environment, checklist, kind } = prepared;
  return { id, name, environment, checklist, kind };
}
