// Resolves a runbook against the configuration for one service and version. The result is the
// workflow's input, so a runbook or config edited later never changes a release already running.

import { fillPlaceholders, secretVariableFor } from '../config/command-template.js';
import type { CommandConfig, RunwayConfig, ServiceConfig } from '../config/config-schema.js';
import type {
  BakePlanStep,
  CommandSpec,
  DeployPlanStep,
  HttpCheck,
  PlanStep,
  ReleasePlan,
} from '../workflows/release-model.js';
import { traitsOf } from '../workflows/steps/step-kinds.js';
import { approvalRoster } from './approval-roster.js';
import { httpChecksOf, resolveMeasuringStep, resolveRollbackPolicy } from './resolve-analysis.js';
import { configBundleOf, resolveApplyConfigStep, withoutVersionChecks } from './resolve-config-step.js';
import { resolveOversight } from './resolve-oversight.js';
import type { Runbook, RunbookStep } from './runbook-schema.js';

/** The request cannot be planned (unknown service in an environment, missing command…): a 400 for the caller. */
export class PlanError extends Error {
  override name = 'PlanError';
}

interface PlanRequest {
  runbook: Runbook;
  config: RunwayConfig;
  service: string;
  version: string;
  /** A config-change whose bundle is marked sensitive: approval steps add their sensitiveQuorum. */
  sensitive?: boolean;
}

export function toCommandSpec(
  command: CommandConfig,
  values: Record<string, string>,
  environment: string,
): CommandSpec {
  const envFrom = Object.fromEntries(
    Object.entries(command.envFrom).map(([name, source]) => [name, secretVariableFor(source, environment)]),
  );
  return { argv: fillPlaceholders(command.argv, values), timeoutMs: command.timeoutSeconds * 1000, envFrom };
}

/**
 * Blue-green or rolling, as the service's config says. Rolling: {instance}, {expectedVersion} and
 * {idempotencyKey} stay placeholders, since only the deploy knows the instances and their versions;
 * so does {version}, because the undo of an update puts the previous version back with the same
 * commands.
 */
function resolveDeployStep(
  base: { id: string; name: string; environment: string },
  deploy: RunwayConfig['services'][string]['deploy'],
  values: Record<string, string>,
): DeployPlanStep {
  const command = (config: CommandConfig) => toCommandSpec(config, values, base.environment);
  if (deploy.strategy === 'rolling') {
    const { version: _filledPerCall, ...withoutVersion } = values;
    const perInstance = (config: CommandConfig) => toCommandSpec(config, withoutVersion, base.environment);
    const { actions } = deploy.driver;
    return {
      ...base,
      kind: 'deploy',
      strategy: 'rolling',
      batchSize: deploy.batchSize,
      driver: {
        type: 'command',
        actions: {
          instances: command(actions.instances),
          update: perInstance(actions.update),
          check: perInstance(actions.check),
        },
      },
    };
  }
  const { actions } = deploy.driver;
  return {
    ...base,
    kind: 'deploy',
    strategy: 'blue-green',
    driver: {
      type: 'command',
      actions: {
        inspect: command(actions.inspect),
        deploy: command(actions.deploy),
        check: command(actions.check),
        switch: command(actions.switch),
        retire: command(actions.retire),
      },
    },
  };
}

function resolveStep(step: RunbookStep, request: PlanRequest): PlanStep {
  const { config, service, version } = request;
  const environment = config.environments[step.environment];
  if (!environment)
    throw new PlanError(`runbook step ${step.id} names unknown environment ${step.environment}`);
  const base = {
    id: step.id,
    name: step.name ?? step.id,
    environment: step.environment,
    ...(step.checklist ? { checklist: { ...step.checklist } } : {}),
  };
  if (step.kind === 'window') {
    return {
      ...base,
      kind: 'window',
      policy: { ...step.policy },
      minimumRemainingMs: step.minimumRemainingMinutes * 60_000,
      recheckMs: step.recheckMinutes * 60_000,
      override: {
        quorum: step.override.quorum,
        roster: approvalRoster(config, step.environment, step.override.quorum),
      },
    };
  }
  if (step.kind === 'approval') {
    const quorum = request.sensitive ? [...step.quorum, ...(step.sensitiveQuorum ?? [])] : step.quorum;
    const roster = approvalRoster(config, step.environment, quorum);
    return { ...base, kind: 'approval', quorum, roster };
  }
  if (step.kind === 'confirm') {
    const roster = approvalRoster(config, step.environment, [step.role]);
    return { ...base, kind: 'confirm', role: step.role, prompt: step.prompt, roster };
  }

  const target = environment.services[service];
  const serviceConfig = config.services[service];
  if (!target || !serviceConfig)
    throw new PlanError(`service ${service} is not deployed in ${step.environment}`);
  // {colour} and {expectedActive} stay placeholders (fillPlaceholders leaves names without a value):
  // only the deploy itself knows which colour is idle and which one it saw active.
  const values = { ...target.vars, service, version, environment: step.environment, url: target.url };
  switch (step.kind) {
    case 'deploy':
      return resolveDeployStep(base, serviceConfig.deploy, values);
    case 'command': {
      const command = serviceConfig.commands[step.command];
      if (!command)
        throw new PlanError(`service ${service} has no command ${step.command} (step ${step.id})`);
      return {
        ...base,
        kind: 'command',
        command: toCommandSpec(command, values, step.environment),
        maxAttempts: step.attempts,
      };
    }
    case 'migrate': {
      const database = serviceConfig.database;
      if (!database) throw new PlanError(`service ${service} has no database to migrate (step ${step.id})`);
      return {
        ...base,
        kind: 'migrate',
        database: {
          urlEnv: secretVariableFor(database.urlEnv, step.environment),
          actions: {
            status: toCommandSpec(database.actions.status, values, step.environment),
            up: toCommandSpec(database.actions.up, values, step.environment),
            // {migrationId} stays a placeholder: only the step knows where the database stood.
            down: toCommandSpec(database.actions.down, values, step.environment),
          },
        },
      };
    }
    case 'baseline':
      return resolveMeasuringStep(step, base, serviceConfig, target.url);
    case 'bake': {
      const bake = resolveMeasuringStep(step, base, serviceConfig, target.url) as BakePlanStep;
      return step.maxSeconds === undefined
        ? bake
        : { ...bake, durationMs: Math.min(bake.durationMs, step.maxSeconds * 1000) };
    }
    case 'apply-config':
      return resolveApplyConfigStep(base, serviceConfig, values, request.version);
    case 'verify': {
      const checks: HttpCheck[] = namedChecks(serviceConfig, step.checks) ?? httpChecksOf(serviceConfig);
      return {
        ...base,
        kind: 'verify',
        url: target.url,
        checks,
        attempts: step.attempts,
        intervalMs: step.intervalSeconds * 1000,
      };
    }
  }
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
  if (step.kind === 'verify')
    return step.checks === undefined || namedChecks(service, step.checks) !== undefined;
  if (step.kind === 'command') return !step.optional || service.commands[step.command] !== undefined;
  return true;
}

/** The named checks from the service's verification and checks, or undefined when one is missing. */
function namedChecks(service: ServiceConfig, names: readonly string[] | undefined): HttpCheck[] | undefined {
  if (names === undefined) return undefined;
  const all = httpChecksOf({ ...service, verification: [...service.verification, ...service.checks] });
  const found = names.map((wanted) => all.find((check) => check.name === wanted));
  return found.every((check) => check !== undefined) ? (found as HttpCheck[]) : undefined;
}
