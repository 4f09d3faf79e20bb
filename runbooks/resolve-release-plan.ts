// Resolves a runbook against the configuration for one service and version. The result is the
// workflow's input, so a runbook or config edited later never changes a release already running.

import { fillPlaceholders, secretVariableFor } from '../config/command-template.js';
import type { CommandConfig, RunwayConfig } from '../config/config-schema.js';
import type { CommandSpec, HttpCheck, PlanStep, ReleasePlan } from '../workflows/release-model.js';
import { approvalRoster } from './approval-roster.js';
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
}

function toCommandSpec(
  command: CommandConfig,
  values: Record<string, string>,
  environment: string,
): CommandSpec {
  const envFrom = Object.fromEntries(
    Object.entries(command.envFrom).map(([name, source]) => [name, secretVariableFor(source, environment)]),
  );
  return { argv: fillPlaceholders(command.argv, values), timeoutMs: command.timeoutSeconds * 1000, envFrom };
}

function resolveStep(step: RunbookStep, request: PlanRequest): PlanStep {
  const { config, service, version } = request;
  const environment = config.environments[step.environment];
  if (!environment)
    throw new PlanError(`runbook step ${step.id} names unknown environment ${step.environment}`);
  const base = { id: step.id, name: step.name ?? step.id, environment: step.environment };
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
    const roster = approvalRoster(config, step.environment, step.quorum);
    return { ...base, kind: 'approval', quorum: step.quorum, roster };
  }

  const target = environment.services[service];
  const serviceConfig = config.services[service];
  if (!target || !serviceConfig)
    throw new PlanError(`service ${service} is not deployed in ${step.environment}`);
  // {colour} and {expectedActive} stay placeholders (fillPlaceholders leaves names without a value):
  // only the deploy itself knows which colour is idle and which one it saw active.
  const values = { ...target.vars, service, version, environment: step.environment, url: target.url };
  switch (step.kind) {
    case 'deploy': {
      const { actions } = serviceConfig.deploy.driver;
      return {
        ...base,
        kind: 'deploy',
        strategy: serviceConfig.deploy.strategy,
        driver: {
          type: 'command',
          actions: {
            inspect: toCommandSpec(actions.inspect, values, step.environment),
            deploy: toCommandSpec(actions.deploy, values, step.environment),
            check: toCommandSpec(actions.check, values, step.environment),
            switch: toCommandSpec(actions.switch, values, step.environment),
            retire: toCommandSpec(actions.retire, values, step.environment),
          },
        },
      };
    }
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
    case 'verify': {
      const checks: HttpCheck[] = serviceConfig.verification.map((check) => ({
        name: check.name,
        path: check.path,
        expectStatus: check.expectStatus,
        expectVersion: check.expectVersion,
        timeoutMs: check.timeoutSeconds * 1000,
      }));
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
  return {
    type: request.runbook.type,
    description: request.runbook.description,
    steps: request.runbook.steps.map((step) => resolveStep(step, request)),
  };
}

/** The environments a plan changes: starting the release needs the deploy role in each (R-AUTH). */
export function environmentsDeployedBy(plan: ReleasePlan): string[] {
  return [...new Set(plan.steps.filter((step) => step.kind === 'deploy').map((step) => step.environment))];
}
