// The pieces a resolved plan step is made of, as zod schemas: the single source of the plan's
// TypeScript types (z.infer, re-exported by release-model.ts), of the OpenAPI components and of
// the JSON view (viewOf). API-side only: workflow code imports the inferred types, never this
// module, so zod stays out of the workflow bundle.
import { z } from '@hono/zod-openapi';
import { ACCESS_ROLES, APPROVER_ROLES, CHECKLIST_PHASES } from '../release-model.js';

export const roleSchema = z.enum([...ACCESS_ROLES, ...APPROVER_ROLES]);

/** A command a driver or a step runs: an argument array, never a shell string (R-INPUT). */
export const commandSchema = z.object({
  argv: z.array(z.string()),
  timeoutMs: z.number().int(),
  /** Environment variables for the command, each taken from the worker's environment by name (R-SECRETS). */
  envFrom: z
    .record(z.string(), z.string())
    .openapi({ description: 'Variable names only: command variable → worker variable. Never values.' }),
});

export const checklistTagSchema = z
  .object({ phase: z.enum(CHECKLIST_PHASES), item: z.string() })
  .openapi('ChecklistTag', { description: 'The checklist item this step is (R-CHECKLIST).' });
export type ChecklistTag = z.infer<typeof checklistTagSchema>;

/** Who may sit at a gate, frozen into the plan at start (R-APPROVE): identity → roles held there. */
export const rosterEntrySchema = z.object({ identity: z.string(), roles: z.array(roleSchema) });
export type RosterEntry = z.infer<typeof rosterEntrySchema>;

export const httpCheckSchema = z.object({
  name: z.string(),
  path: z.string(),
  expectStatus: z.number().int(),
  /** When set, the JSON body's `version` field must equal the release's version. */
  expectVersion: z.boolean(),
  timeoutMs: z.number().int(),
});

/** Where a bake's figures come from: the service itself (HTTP probes) or a Prometheus server scraping it. */
export const probeSchema = z
  .discriminatedUnion('type', [
    z.object({
      type: z.literal('http'),
      url: z.string(),
      healthPath: z.string(),
      paths: z.array(z.object({ path: z.string(), expectStatus: z.number().int() })),
    }),
    z.object({
      type: z.literal('prometheus'),
      url: z.string(),
      selector: z.record(z.string(), z.string()),
      scrapeIntervalMs: z.number().int(),
    }),
  ])
  .openapi('Probe', {
    description:
      'Where a bake or baseline takes its figures: HTTP probes of the service, or a Prometheus server.',
  });

export const bakeSettingsSchema = z.object({
  intervalMs: z.number().int(),
  timeoutMs: z.number().int(),
  judgeWindowSeconds: z.number(),
});

/** The analysis thresholds of R-RB-TRIGGER-AUTO (analysis/thresholds.ts holds the defaults). */
export const bakeThresholdsSchema = z
  .object({
    healthConsecutiveFailures: z.number().int(),
    errorRatePercent: z.number(),
    p95PercentOfBaseline: z.number(),
    minRequests: z.number().int(),
    baselineFloorMs: z.number(),
  })
  .openapi('BakeThresholds', { description: 'What trips an automatic rollback (R-RB-TRIGGER-AUTO).' });

/** What every plan step has; `checklist`: the checklist item it is (R-CHECKLIST), if any. */
export const planStepBase = {
  id: z.string(),
  name: z.string(),
  environment: z.string(),
  checklist: checklistTagSchema.optional(),
};

export type CommandSpec = z.infer<typeof commandSchema>;
export type HttpCheck = z.infer<typeof httpCheckSchema>;
export type ProbeSpec = z.infer<typeof probeSchema>;
export type BakeSettings = z.infer<typeof bakeSettingsSchema>;
export type BakeThresholds = z.infer<typeof bakeThresholdsSchema>;

/**
 * A plan step's schema as the API shows it: every step names its checklist item or null. `nullable`
 * gives the fields the view shows otherwise (null rather than left out, optional in older plans).
 */
export function viewOf<Shape extends z.ZodRawShape, Extra extends z.ZodRawShape = Record<never, never>>(
  plan: z.ZodObject<Shape>,
  extra?: Extra,
) {
  return plan.extend({ checklist: checklistTagSchema.nullable(), ...(extra as Extra) });
}
