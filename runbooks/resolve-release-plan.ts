// Resolves a runbook against the configuration for one service and version. The result is the
// workflow's input, so a runbook or config edited later never changes a release already running.

import type { RunwayConfig, ServiceConfig } from '../config/config-schema.js';
import type { PlanStep, ReleasePlan } from '../workflows/release-model.js';
import { definitionOf } from '../workflows/steps/step-definitions.js';
import { traitsOf } from '../workflows/steps/step-kinds.js';
import { PlanError } from './plan-error.js';
import { resolveRollbackPolicy } from './resolve-analysis.js';
import { configBundleOf, withoutVersionChecks } from './resolve-config-step.js';
import { resolveOversight } from './resolve-oversight.js';
import type { Runbook, RunbookStep } from './runbook-schema.js';

export { PlanError, toCommandSpec } from './plan-error.js';

interface PlanRequest {
  runbook: Runbook;
  config: RunwayConfig;
  service: string;
  version: string;
  /** A config-change whose bundle is marked sensitive: approval steps add their sensitiveQuorum. */
  sensitive?: boolean;
}

/** One runbook step resolved by its kind's definition (workflows/steps/<kind>/<kind>-schema.ts). */
function resolveStep(step: RunbookStep, request: PlanRequest & { sensitive: boolean }): PlanStep {
  const { config, service, version } = request;
  if (!config.environments[step.environment])
    throw new PlanError(`runbook step ${step.id} names unknown environment ${step.environment}`);
  const base = {
    id: step.id,
    name: step.name ?? step.id,
    environment: step.environment,
    ...(step.checklist ? { checklist: { ...step.checklist } } : {}),
  };
  const target = () => {
    const deployed = config.environments[step.environment]?.services[service];
    const serviceConfig = config.services[service];
    if (!deployed || !serviceConfig)
      throw new PlanError(`service ${service} is not deployed in ${step.environment}`);
    // {colour} and {expectedActive} stay placeholders (fillPlaceholders leaves names without a value).
    const values = { ...deployed.vars, service, version, environment: step.environment, url: deployed.url };
    return { serviceConfig, url: deployed.url, values };
  };
  const context = { config, service, version, sensitive: request.sensitive, base, target };
  return definitionOf(step.kind).resolve(step, context) as PlanStep;
}

export function resolveReleasePlan(request: PlanRequest): ReleasePlan {
  if (!request.config.services[request.service]) throw new PlanError(`unknown service ${request.service}`);
  // A runbook serves every service: migrating is for those with a database of their own (R-RB-DB).
  const hasDatabase = request.config.services[request.service]?.database !== undefined;
  const serviceConfig = request.config.services[request.service] as ServiceConfig;
  const runbookSteps = request.runbook.steps.filter(
    (step) => (!traitsOf(step).needsDatabase || hasDatabase) && appliesTo(step, serviceConfig),
  );
  // R-CONFIG-CHANGE: the bundle is known and its sensitivity decided here, once, for the whole plan.
  const configChange = request.runbook.type === 'config-change';
  const sensitive =
    configChange &&
    configBundleOf(
      request.config.services[request.service] as NonNullable<RunwayConfig['services'][string]>,
      request.version,
    ).sensitive;
  const steps = runbookSteps.map((step) => resolveStep(step, { ...request, sensitive }));
  const plan: ReleasePlan = {
    type: request.runbook.type,
    description: request.runbook.description,
    steps,
    rollback: resolveRollbackPolicy(request.config, request.service, runbookSteps, steps),
    oversight: resolveOversight(request.config, request.runbook.type, steps),
  };
  return configChange ? withoutVersionChecks(plan) : plan;
}

/**
 * A checklist step naming what the service does not have (R-CHECKLIST): a verify step's named checks,
 * an optional command. Left out, like migrating for a service without a database.
 */
function appliesTo(step: RunbookStep, service: ServiceConfig): boolean {
  return definitionOf(step.kind).appliesTo?.(step, service) ?? true;
}
