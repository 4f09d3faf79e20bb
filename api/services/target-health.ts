// How a service is doing in an environment: one round of its configured HTTP checks against the
// environment's URL. The API never reaches targets itself: a short signed workflow runs the checks
// on a worker, and no worker answering in time is a 503. A target that fails its checks is an
// answer (healthy: false), not an error.
import { randomBytes } from 'node:crypto';
import { type Client, WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, TimeoutFailure } from '@temporalio/common';
import type { RunwayConfig } from '../../config/config-schema.js';
import { healthTargetOf } from '../../config/health-target.js';
import type { DecisionKeys } from '../../security/decision-signature.js';
import { authoriseStart } from '../../security/start-authority.js';
import type { TargetHealth, TargetHealthRequest } from '../../workflows/target-health-model.js';
import type { checkHealthWorkflow } from '../../workflows/target-health-workflow.js';
import { assertReads, type Principal } from '../principal.js';
import { NotFoundError, UnavailableError } from '../service-errors.js';

/** Time for a worker to take the workflow and admit its start, beyond the checks' own budget. */
const PICK_UP_MARGIN_MS = 10_000;

export interface TargetHealthCheckerDeps {
  client: Client;
  config: RunwayConfig;
  /** Signs each check's start: workers run nothing Runway's API did not start. */
  decisionKeys: DecisionKeys;
  clock?: () => number;
}

/** What the API needs to know of a service's health: a suite without workers may hand in its own. */
export interface ServiceHealth {
  check(principal: Principal, service: string, environment: string, timeoutMs: number): Promise<TargetHealth>;
}

export class TargetHealthChecker implements ServiceHealth {
  /**
   * Rounds under way, by service, environment and budget: callers arriving while one runs share its
   * answer, so a burst of questions reaches the target once rather than once per caller.
   */
  readonly #inFlight = new Map<string, Promise<TargetHealth>>();

  constructor(private readonly deps: TargetHealthCheckerDeps) {}

  /**
   * NotFoundError for an unknown environment, or a service that does not run there; ForbiddenError
   * when `principal` does not read the environment; UnavailableError when no worker answers.
   */
  async check(
    principal: Principal,
    service: string,
    environment: string,
    timeoutMs: number,
  ): Promise<TargetHealth> {
    // An unknown environment is not one the caller is barred from: say it does not exist.
    if (!Object.hasOwn(this.deps.config.environments, environment)) {
      throw new NotFoundError(`there is no environment ${environment}`);
    }
    assertReads(principal, environment);
    if (!healthTargetOf(this.deps.config, service, environment)) {
      throw new NotFoundError(`service ${service} does not run in ${environment}`);
    }
    const request: TargetHealthRequest = { service, environment, timeoutMs };
    const key = `${service}\u0000${environment}\u0000${timeoutMs}`;
    const running = this.#inFlight.get(key);
    if (running) return running;
    const asking = this.#ask(request).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, asking);
    return asking;
  }

  async #ask(request: TargetHealthRequest): Promise<TargetHealth> {
    const { taskQueue } = this.deps.config.settings.temporal;
    const workflowId = `health-${request.service}-${request.environment}-${randomBytes(4).toString('hex')}`;
    const authority = authoriseStart(
      this.deps.decisionKeys,
      'checkHealthWorkflow',
      workflowId,
      request,
      new Date((this.deps.clock ?? Date.now)()),
    );
    const waitMs = request.timeoutMs + PICK_UP_MARGIN_MS;
    const where = `${request.service} in ${request.environment}`;
    try {
      return await this.deps.client.workflow.execute<typeof checkHealthWorkflow>('checkHealthWorkflow', {
        taskQueue,
        workflowId,
        args: [request, authority],
        // Without a worker the workflow never starts its task: the server ends it, and the caller hears so.
        workflowExecutionTimeout: waitMs,
        staticSummary: `health of ${where}`,
      });
    } catch (error) {
      if (!(error instanceof WorkflowFailedError)) throw error;
      if (error.cause instanceof TimeoutFailure) {
        throw new UnavailableError(
          `no answer within ${waitMs / 1000} s about the health of ${where}: no worker polls task queue ${taskQueue}; retry later`,
        );
      }
      // The checks themselves never fail the workflow: this is the worker (e.g. a configuration
      // that differs from the API's), and another try may find a worker that can answer.
      const cause = error.cause instanceof ActivityFailure ? (error.cause.cause ?? error.cause) : error.cause;
      throw new UnavailableError(
        `no worker could check the health of ${where}: ${cause?.message ?? error.message}`,
      );
    }
  }
}
