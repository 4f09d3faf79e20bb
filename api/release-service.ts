// The operations behind the HTTP API, split by concern: starting (and the service lock), deciding,
// reading (with reconciliation). API → Temporal client → workflow; records come back from
// PostgreSQL, written by the activities.
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import type { WindowCalendar } from '../activities/calendar-activities.js';
import type { RunwayConfig } from '../config/config-schema.js';
import type { Logger } from '../logging/logger.js';
import type { ReleaseStartMetrics } from '../metrics/api-metrics.js';
import type { DecisionKeys } from '../security/decision-signature.js';
import type { GuidedOption, ReleasePlan } from '../workflows/release-model.js';
import type { Principal } from './principal.js';
import { BakeProgress } from './services/bake-progress.js';
import {
  type DeliveryMetricsQuery,
  type DeliveryMetricsReport,
  readDeliveryMetrics,
} from './services/delivery-metrics-report.js';
import { IdempotentStarts } from './services/idempotent-starts.js';
import {
  type ConfirmationAnswer,
  type ConfirmationRequest,
  ReleaseConfirmations,
} from './services/release-confirmations.js';
import { type DecisionAnswer, type DecisionRequest, ReleaseDecisions } from './services/release-decisions.js';
import { type OrderAnswer, type ReleaseOrderKind, ReleaseOrders } from './services/release-orders.js';
import { ReleasePostmortems } from './services/release-postmortem.js';
import { type ListQuery, ReleaseReader, type ReleaseView } from './services/release-reader.js';
import { ReleaseReconciler } from './services/release-reconciler.js';
import { ReleaseStarter, type StartRequest } from './services/release-starter.js';
import { type ServiceEntry, servicesReadBy } from './services/service-catalogue.js';
import { type ServiceHealth, TargetHealthChecker } from './services/target-health.js';
import type { ServiceTargets } from './services/target-inspection.js';
import { WorkflowDecisions } from './services/workflow-decisions.js';
import { StartRateLimiter } from './start-rate-limit.js';

export * from './service-errors.js';
export type { ReleaseView } from './services/release-reader.js';
export type { StartRequest } from './services/release-starter.js';

export interface ReleaseServiceDeps {
  client: Client;
  pool: pg.Pool;
  config: RunwayConfig;
  logger: Logger;
  decisionKeys: DecisionKeys;
  /** The release calendar, for a dry run's estimate of when its window steps would let it through. */
  windowCalendar: WindowCalendar;
  runbookDir?: string;
  /** What environments run (R-SEMVER); by default asked of the targets through a worker. */
  targets?: ServiceTargets;
  /** How services are doing (GET …/health); by default checked on a worker. */
  health?: ServiceHealth;
  /**
   * Milliseconds now: the start rate limit's refills, when decisions and starts are signed, whether a
   * rollback window is still open. Tests on a time-skipping server hand in its clock.
   */
  clock?: () => number;
  /** Counts the releases started (the API's /metrics). */
  metrics?: ReleaseStartMetrics;
}

export class ReleaseService {
  readonly reconciler: ReleaseReconciler;
  readonly #starter: ReleaseStarter;
  readonly #reader: ReleaseReader;
  readonly #decisions: ReleaseDecisions;
  readonly #confirmations: ReleaseConfirmations;
  readonly #orders: ReleaseOrders;
  readonly #idempotentStarts: IdempotentStarts;
  /** Attaching the documentation a hotfix or emergency owes (R-POSTHOC). */
  readonly postmortems: ReleasePostmortems;
  /** One round of a service's configured checks in an environment, run on a worker. */
  readonly health: ServiceHealth;

  constructor(private readonly deps: ReleaseServiceDeps) {
    const { client, pool, config, logger } = deps;
    this.reconciler = new ReleaseReconciler({ client, pool, logger });
    this.#reader = new ReleaseReader({
      pool,
      reconciler: this.reconciler,
      environments: Object.keys(config.environments),
      bakeProgress: new BakeProgress({ client, logger }),
    });
    this.#starter = new ReleaseStarter({
      client,
      pool,
      config,
      logger,
      reconciler: this.reconciler,
      startLimiter: new StartRateLimiter(config.settings.api.startRateLimit, deps.clock),
      temporalUrl: (id) => this.temporalUrl(id),
      runbookDir: deps.runbookDir,
      decisionKeys: deps.decisionKeys,
      ...(deps.targets ? { targets: deps.targets } : {}),
      ...(deps.clock ? { clock: deps.clock } : {}),
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
    });
    this.#idempotentStarts = new IdempotentStarts({
      pool,
      starter: this.#starter,
      reader: this.#reader,
      leaseSeconds: config.settings.api.idempotencyLeaseSeconds,
    });
    const workflows = new WorkflowDecisions({
      client,
      logger,
      decisionKeys: deps.decisionKeys,
      ...(deps.clock ? { clock: deps.clock } : {}),
    });
    this.#decisions = new ReleaseDecisions({ client, reader: this.#reader, workflows });
    this.#confirmations = new ReleaseConfirmations({ reader: this.#reader, workflows });
    this.#orders = new ReleaseOrders({
      pool,
      config,
      reader: this.#reader,
      workflows,
      clock: deps.clock ?? Date.now,
    });
    this.postmortems = new ReleasePostmortems({ reader: this.#reader, workflows });
    this.health =
      deps.health ??
      new TargetHealthChecker({
        client,
        config,
        decisionKeys: deps.decisionKeys,
        ...(deps.clock ? { clock: deps.clock } : {}),
      });
  }

  /** The configured services, each with the environments where it runs and `principal` reads. */
  services(principal: Principal): ServiceEntry[] {
    return servicesReadBy(this.deps.config, principal);
  }

  plan(request: StartRequest, requester: Principal): Promise<ReleasePlan> {
    return this.#starter.plan(request, requester);
  }

  /** The version rule (R-SEMVER) as a dry run reports it; a version it refuses is a 400 as for a start. */
  reportVersionRule(request: StartRequest, plan: ReleasePlan) {
    return this.#starter.reportVersionRule(request, plan);
  }

  /** What runs in an environment, asked of its target, and which Runway release put it there. */
  get targets() {
    return this.#starter.targets;
  }

  /** When each window step of the plan would let the release through, were it approved at `at`. */
  estimateWindows(plan: ReleasePlan, at: Date) {
    return Promise.all(
      plan.steps.flatMap((step) =>
        step.kind === 'window'
          ? [
              this.deps.windowCalendar
                .check({
                  environment: step.environment,
                  at: at.toISOString(),
                  policy: step.policy,
                  minimumRemainingMs: step.minimumRemainingMs,
                })
                .then((check) => ({
                  stepId: step.id,
                  environment: step.environment,
                  outcome: check.kind,
                  at: check.kind === 'open' ? at.toISOString() : check.kind === 'wait' ? check.until : null,
                  reason: check.kind === 'open' ? null : check.reason,
                })),
            ]
          : [],
      ),
    );
  }

  /** Starts a release and returns it as its requester sees it. */
  async start(request: StartRequest, requester: Principal): Promise<ReleaseView> {
    const id = await this.#starter.start(request, requester);
    return this.#reader.get(id, requester);
  }

  /** A start that a retry with the same key repeats safely: 201 the first answer, 200 later ones. */
  startWithKey(request: StartRequest, requester: Principal, key: string) {
    return this.#idempotentStarts.start(request, requester, key);
  }

  get(id: string, principal: Principal): Promise<ReleaseView> {
    return this.#reader.get(id, principal);
  }

  list(query: ListQuery, principal: Principal) {
    return this.#reader.list(query, principal);
  }

  /** Confirms the manual checklist item the release waits at (R-CHECKLIST). */
  confirm(id: string, principal: Principal, request: ConfirmationRequest): Promise<ConfirmationAnswer> {
    return this.#confirmations.confirm(id, principal, request);
  }

  decide(
    id: string,
    approver: Principal,
    request: DecisionRequest,
    at: 'approval' | 'window' = 'approval',
  ): Promise<DecisionAnswer> {
    return this.#decisions.decide(id, approver, request, at);
  }

  /** Orders a rollback or an abort of the whole release (R-RB-TRIGGER-MANUAL). */
  order(id: string, principal: Principal, kind: ReleaseOrderKind, reason: string): Promise<OrderAnswer> {
    return this.#orders.order(id, principal, kind, reason);
  }

  /** Answers the failure a release waits at (R-GUIDED). */
  decideFailure(
    id: string,
    principal: Principal,
    decision: GuidedOption,
    reason: string,
  ): Promise<OrderAnswer> {
    return this.#orders.decide(id, principal, decision, reason);
  }

  /** Delivery metrics of one environment from the release records (R-METRICS); the caller reads it. */
  deliveryMetrics(query: DeliveryMetricsQuery): Promise<DeliveryMetricsReport> {
    return readDeliveryMetrics(this.deps.pool, query, (this.deps.clock ?? Date.now)());
  }

  temporalUrl(workflowId: string): string {
    const { webUrl, namespace } = this.deps.config.settings.temporal;
    return `${webUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  }
}
