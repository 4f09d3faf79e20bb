// What a service's environment runs, asked of its target through the service's own driver (R-SEMVER:
// production as it is, not as Runway's records remember it). The API never runs driver commands: a
// short workflow does it on a worker, and no worker answering in time is a 503.
import { randomBytes } from 'node:crypto';
import { type Client, WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, TimeoutFailure } from '@temporalio/common';
import type pg from 'pg';
import type {
  TargetInspection,
  TargetInspectionRequest,
} from '../../activities/target-inspection-activities.js';
import type { RunwayConfig } from '../../config/config-schema.js';
import { inspectionCommandOf } from '../../config/inspection-command.js';
import { type DeployingRelease, findDeployingRelease } from '../../db/release-records.js';
import type { DecisionKeys } from '../../security/decision-signature.js';
import { authoriseStart } from '../../security/start-authority.js';
import type { inspectTargetWorkflow } from '../../workflows/target-inspection-workflow.js';
import { NotFoundError, UnavailableError, UnprocessableError } from '../service-errors.js';
import { runningVersionOf } from './target-inspection-rules.js';

/**
 * The driver ran and the target did not say what it runs (unreachable, or it does not run the service
 * there): what depends on the answer cannot be judged now (422), though Runway itself is fine.
 */
export class TargetSilentError extends UnprocessableError {
  override name = 'TargetSilentError';
}

/** Long enough for a worker to run one driver command; short enough for a caller waiting on a start. */
const INSPECTION_TIMEOUT_MS = 15_000;

export interface DeployedState {
  service: string;
  environment: string;
  strategy: 'blue-green' | 'rolling';
  /** What the target says it serves; null: nothing. */
  version: string | null;
  inspection: TargetInspection;
}

export interface TargetInspectorDeps {
  client: Client;
  pool: pg.Pool;
  config: RunwayConfig;
  /** Signs each inspection's start: workers run nothing Runway's API did not start. */
  decisionKeys: DecisionKeys;
  clock?: () => number;
}

/** What the API needs to know of targets: a suite without workers may hand in its own. */
export interface ServiceTargets {
  inspect(service: string, environment: string): Promise<DeployedState>;
  deployedBy(service: string, environment: string, version: string): Promise<DeployingRelease | undefined>;
}

export class TargetInspector implements ServiceTargets {
  /**
   * Inspections under way, by service and environment. Callers arriving while one runs share its
   * answer: a burst of starts for one service asks the target once, not once per start, so the burst
   * neither queues driver commands on the workers past the timeout nor loads the target.
   */
  readonly #inFlight = new Map<string, Promise<TargetInspection>>();

  constructor(private readonly deps: TargetInspectorDeps) {}

  /** NotFoundError when the service does not run in the environment; UnavailableError when no worker or target answers. */
  async inspect(service: string, environment: string): Promise<DeployedState> {
    const resolved = inspectionCommandOf(this.deps.config, service, environment);
    if (!resolved) throw new NotFoundError(`service ${service} does not run in ${environment}`);
    const inspection = await this.#askOnce({ service, environment });
    return {
      service,
      environment,
      strategy: resolved.strategy,
      version: runningVersionOf(inspection),
      inspection,
    };
  }

  /** The Runway release that put `version` there, or undefined when Runway did not deploy it. */
  deployedBy(service: string, environment: string, version: string): Promise<DeployingRelease | undefined> {
    return findDeployingRelease(this.deps.pool, service, environment, version);
  }

  #askOnce(request: TargetInspectionRequest): Promise<TargetInspection> {
    const key = `${request.service}\u0000${request.environment}`;
    const running = this.#inFlight.get(key);
    if (running) return running;
    const asking = this.#ask(request).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, asking);
    return asking;
  }

  async #ask(request: TargetInspectionRequest): Promise<TargetInspection> {
    const { taskQueue } = this.deps.config.settings.temporal;
    const workflowId = `inspect-${request.service}-${request.environment}-${randomBytes(4).toString('hex')}`;
    const authority = authoriseStart(
      this.deps.decisionKeys,
      'inspectTargetWorkflow',
      workflowId,
      request,
      new Date((this.deps.clock ?? Date.now)()),
    );
    try {
      return await this.deps.client.workflow.execute<typeof inspectTargetWorkflow>('inspectTargetWorkflow', {
        taskQueue,
        workflowId,
        args: [request, authority],
        // Without a worker the workflow never starts its task: the server ends it, and the caller hears so.
        workflowExecutionTimeout: INSPECTION_TIMEOUT_MS,
        staticSummary: `what ${request.service} runs in ${request.environment}`,
      });
    } catch (error) {
      if (!(error instanceof WorkflowFailedError)) throw error;
      const where = `${request.service} in ${request.environment}`;
      if (error.cause instanceof TimeoutFailure) {
        throw new UnavailableError(
          `no answer within ${INSPECTION_TIMEOUT_MS / 1000} s to what ${where} runs: no worker polls task queue ${taskQueue}, or the target hangs; retry later`,
        );
      }
      const cause = error.cause instanceof ActivityFailure ? (error.cause.cause ?? error.cause) : error.cause;
      throw new TargetSilentError(
        `the target of ${where} did not say what it runs: ${cause?.message ?? error.message}`,
      );
    }
  }
}
