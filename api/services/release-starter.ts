// Starting a release: resolve the plan, take the service's lock, start the workflow (R-AUTH,
// one release per service). The lock is the record itself: a partial unique index lets exactly one
// of any number of concurrent starts insert it; the workflow's first write then claims it, and a
// record whose workflow never claims it can only be taken over once it is old (see the reconciler).
import { randomBytes } from 'node:crypto';
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type pg from 'pg';
import type { RunwayConfig } from '../../config/config-schema.js';
import {
  ActiveReleaseConflict,
  deleteRelease,
  findLockHolder,
  getRelease,
  insertRelease,
  type NewRelease,
  ReleaseIdTaken,
  type ReleaseRow,
  setRunId,
} from '../../db/release-records.js';
import type { Logger } from '../../logging/logger.js';
import type { ReleaseStartMetrics } from '../../metrics/api-metrics.js';
import { loadRunbook } from '../../runbooks/load-runbook.js';
import { configBundleOf } from '../../runbooks/resolve-config-step.js';
import { resolveReleasePlan } from '../../runbooks/resolve-release-plan.js';
import type { DecisionKeys } from '../../security/decision-signature.js';
import { authoriseStart } from '../../security/start-authority.js';
import { markdownText } from '../../workflows/markdown-text.js';
import type {
  ConfigChangeRequest,
  ReleaseInput,
  ReleasePlan,
  ReleaseType,
} from '../../workflows/release-model.js';
import { SUPERSEDABLE_STATUSES } from '../../workflows/release-rules.js';
import { releaseWorkflowV2 } from '../../workflows/release-workflow.js';
import {
  environmentKey,
  environmentsKey,
  releaseTypeKey,
  serviceKey,
  statusKey,
  versionKey,
} from '../../workflows/search-attributes.js';
import { environmentsDeployedBy, environmentsOf } from '../../workflows/steps/step-kinds.js';
import type { Principal } from '../principal.js';
import { ConflictError, ForbiddenError } from '../service-errors.js';
import type { StartRateLimiter } from '../start-rate-limit.js';
import type { ReleaseReconciler } from './release-reconciler.js';
import { supersedeHeldRelease } from './release-supersession.js';
import { adoptRunningStart } from './start-adoption.js';
import { type ServiceTargets, TargetInspector, TargetSilentError } from './target-inspection.js';
import {
  judgeVersion,
  ruleEnvironmentOf,
  ruleFor,
  type VersionRule,
  VersionRuleError,
  type VersionVerdict,
} from './target-inspection-rules.js';

export interface StartRequest {
  type: ReleaseType;
  service: string;
  /** For a config-change: the configuration revision it applies. */
  version: string;
  changeRef?: string;
  /** A config-change's request (R-CONFIG-CHANGE); whether it is sensitive is decided at plan time. */
  configChange?: Omit<ConfigChangeRequest, 'sensitive'>;
}

/** The version rule a request meets, as a dry run reports it; `unknown` when the target could not be asked. */
export interface VersionRuleReport {
  rule: VersionRule;
  environment: string | null;
  running: string | null;
  verdict: 'passes' | 'unknown';
  reason: string;
}

export interface ReleaseStarterDeps {
  client: Client;
  pool: pg.Pool;
  config: RunwayConfig;
  logger: Logger;
  reconciler: ReleaseReconciler;
  /** Starts per identity (R-INPUT); taken only once the service is known to be free. */
  startLimiter?: StartRateLimiter;
  temporalUrl: (releaseId: string) => string;
  runbookDir?: string;
  /** Sign the `supersede` order sent to an older release waiting at a gate (R-EXPIRE). */
  decisionKeys: DecisionKeys;
  /** What environments run, asked of their targets (R-SEMVER); by default through a worker. */
  targets?: ServiceTargets;
  /** Milliseconds now, when starts are signed. */
  clock?: () => number;
  /** Counts the releases started (the API's /metrics). */
  metrics?: ReleaseStartMetrics;
}

export function newReleaseId(request: StartRequest): string {
  return `${request.service}-${request.type}-${request.version}-${randomBytes(3).toString('hex')}`;
}

export class ReleaseStarter {
  readonly targets: ServiceTargets;

  constructor(private readonly deps: ReleaseStarterDeps) {
    this.targets = deps.targets ?? new TargetInspector(deps);
  }

  /**
   * R-SEMVER against what the plan's production runs, as its target says. Throws VersionRuleError
   * (400) naming the rule and the running version; UnavailableError (503) when nothing answers.
   */
  async judgeVersion(
    request: StartRequest,
    plan: ReleasePlan,
  ): Promise<VersionVerdict & { environment: string | null }> {
    const environment = ruleEnvironmentOf(plan);
    if (ruleFor(request.type) === 'none' || environment === undefined) {
      return { ...judgeVersion(request.type, request.version, null, 'production'), environment: null };
    }
    let running: string | null;
    try {
      running = (await this.targets.inspect(request.service, environment)).version;
    } catch (error) {
      // SPEC 2: an emergency restores service first; a target too broken to answer must not stop it.
      if (!(request.type === 'emergency' && error instanceof TargetSilentError)) throw error;
      const reason = `the target could not say what ${environment} runs, and an emergency goes ahead: ${error.message}`;
      return { rule: ruleFor(request.type), running: null, passed: true, reason, environment };
    }
    const verdict = judgeVersion(request.type, request.version, running, environment);
    if (!verdict.passed) throw new VersionRuleError(verdict.reason);
    return { ...verdict, environment };
  }

  /** The dry run's account of the version rule: the same refusal as a start, or `unknown` when no one could say. */
  async reportVersionRule(request: StartRequest, plan: ReleasePlan): Promise<VersionRuleReport> {
    try {
      const verdict = await this.judgeVersion(request, plan);
      return {
        rule: verdict.rule,
        environment: verdict.environment,
        running: verdict.running,
        verdict: 'passes',
        reason: verdict.reason,
      };
    } catch (error) {
      if (error instanceof VersionRuleError) throw error;
      return {
        rule: ruleFor(request.type),
        environment: ruleEnvironmentOf(plan) ?? null,
        running: null,
        verdict: 'unknown',
        reason: `what runs there could not be asked now (a start would answer 503): ${(error as Error).message}`,
      };
    }
  }

  /**
   * Resolves the runbook for a request and checks the requester may deploy everywhere it goes, so
   * a dry run predicts the real answer. Throws PlanError for a request that cannot run.
   */
  async plan(request: StartRequest, requester: Principal): Promise<ReleasePlan> {
    const runbook = await loadRunbook(request.type, this.deps.runbookDir);
    const plan = resolveReleasePlan({
      runbook,
      config: this.deps.config,
      service: request.service,
      version: request.version,
    });
    const lacking = environmentsDeployedBy(plan).filter(
      (environment) => !requester.rolesIn(environment).includes('deploy'),
    );
    if (lacking.length > 0) {
      throw new ForbiddenError(`${requester.name} lacks the deploy role in ${lacking.join(', ')}`);
    }
    return plan;
  }

  /**
   * Starts the release and returns its id; ConflictError (409) while another holds the service.
   * With `releaseId` (an idempotent retry), a record or workflow left by an earlier attempt with that
   * id is taken as this start's own, so the release is started once whatever the earlier attempt did.
   */
  async start(
    request: StartRequest,
    requester: Principal,
    releaseId = newReleaseId(request),
  ): Promise<string> {
    const plan = await this.plan(request, requester);
    // A retried start resumes its own release; one that has ended is answered so, before anything else.
    const existing = await getRelease(this.deps.pool, releaseId);
    if (existing?.finishedAt) {
      throw new ConflictError(`release ${releaseId} has already ended (${existing.status})`, releaseId);
    }
    const resuming = existing !== undefined;
    // A busy service answers 409 before the target is asked (asking runs a driver command), and
    // everything that can refuse a start is asked before a waiting release is superseded: a start
    // that is refused changes nothing, other releases included (R-EXPIRE).
    const holder = resuming ? undefined : await this.#holderToSupersede(request.service);
    if (!resuming) {
      await this.judgeVersion(request, plan);
      this.deps.startLimiter?.take(requester.name);
    }
    const environments = environmentsOf(plan);
    const { configChange: _asked, ...fields } = request;
    const configChange = this.#configChangeOf(request);
    const record: NewRelease = {
      id: releaseId,
      ...fields,
      ...(configChange ? { configChange } : {}),
      requestedBy: requester.name,
      plan,
      environments,
      workflowType: 'releaseWorkflowV2',
      temporalUrl: this.deps.temporalUrl(releaseId),
    };
    // A release that supersedes another takes the service only once that one has let go: its record
    // is written without the lock, which its workflow's first write takes.
    await this.#takeLock(record, { holdsLock: holder === undefined });
    const input: ReleaseInput = {
      releaseId,
      ...fields,
      ...(configChange ? { configChange } : {}),
      requestedBy: requester.name,
      plan,
      timings: { heartbeatTimeoutMs: this.deps.config.settings.temporal.heartbeatTimeoutSeconds * 1000 },
    };
    let runId: string;
    try {
      runId = await this.#startWorkflow(releaseWorkflowV2, {
        taskQueue: this.deps.config.settings.temporal.taskQueue,
        workflowId: releaseId,
        // Without the API's signed word for exactly this id and input, the workflow runs nothing.
        args: [
          input,
          authoriseStart(
            this.deps.decisionKeys,
            'releaseWorkflowV2',
            releaseId,
            input,
            new Date((this.deps.clock ?? Date.now)()),
          ),
        ],
        workflowIdConflictPolicy: 'FAIL',
        // A release id runs once: a retried start never begins a second run of an ended release.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        staticSummary: `${request.type} release of ${request.service} ${request.version}`,
        // Temporal Web renders this as markdown: the change reference is the requester's text.
        staticDetails: `Requested by ${requester.name}${request.changeRef ? `, change ${markdownText(request.changeRef)}` : ''}`,
        typedSearchAttributes: [
          { key: serviceKey, value: request.service },
          { key: releaseTypeKey, value: request.type },
          { key: versionKey, value: request.version },
          { key: statusKey, value: 'running' },
          { key: environmentsKey, value: environments },
          { key: environmentKey, value: environments[0] ?? '' },
        ],
      });
    } catch (error) {
      // Never a half-started release (R-INPUT): without its workflow, the record goes too. A start
      // whose answer was lost may still have happened, so ask before deleting.
      if (!(await this.#workflowExists(releaseId))) await deleteRelease(this.deps.pool, releaseId);
      throw error;
    }
    // Only a convenience for links: the workflow runs whether or not this write succeeds.
    await setRunId(this.deps.pool, releaseId, runId).catch((error: unknown) =>
      this.deps.logger.warn({ releaseId, err: String(error) }, 'could not record the run id'),
    );
    if (holder) await this.#supersede(holder, requester, releaseId, runId);
    this.deps.logger.info({ releaseId, requestedBy: requester.name }, 'release started');
    // A retry resuming its own start was counted by the attempt that began it.
    if (!resuming) this.deps.metrics?.releaseStarted({ service: request.service, type: request.type });
    return releaseId;
  }

  /**
   * The release to supersede, when another holds the service's lock and waits at a gate while
   * configuration says `supersede`; ConflictError (409) naming it when it may not be superseded;
   * undefined when the service is free.
   */
  async #holderToSupersede(service: string): Promise<ReleaseRow | undefined> {
    const holder = await findLockHolder(this.deps.pool, service);
    if (!holder || (await this.deps.reconciler.reconcile(holder))) return undefined;
    const waitsAtGate = SUPERSEDABLE_STATUSES.includes(holder.status);
    if (!waitsAtGate || this.deps.config.settings.releases.whenNewerStarts !== 'supersede') {
      throw new ConflictError(`release ${holder.id} of ${service} is still in flight`, holder.id);
    }
    return holder;
  }

  /**
   * Now that the newer release runs, the older one is superseded (R-EXPIRE). If it may not be (it
   * moved on meanwhile, say), the newer release is ended and removed, and the start answers 409: a
   * refused start changes nothing.
   */
  async #supersede(
    holder: ReleaseRow,
    requester: Principal,
    releaseId: string,
    runId: string,
  ): Promise<void> {
    try {
      await supersedeHeldRelease(this.deps, holder, requester, releaseId);
    } catch (error) {
      await this.deps.client.workflow
        .getHandle(releaseId, runId)
        .terminate(`release ${holder.id} could not be superseded`)
        .catch(() => undefined);
      await deleteRelease(this.deps.pool, releaseId);
      throw error;
    }
  }

  /** The request's config change with its sensitivity, decided from the service's bundles (R-CONFIG-CHANGE). */
  #configChangeOf(request: StartRequest): ConfigChangeRequest | undefined {
    const change = request.configChange;
    const service = this.deps.config.services[request.service];
    if (!change || !service) return undefined;
    return { ...change, sensitive: configBundleOf(service, change.configRevision).sensitive };
  }

  /**
   * Inserts the record holding the service's lock. A holder whose workflow has ended without
   * closing its record (terminated, say) is reconciled first, and the insert tried once more.
   */
  async #takeLock(record: NewRelease, options: { holdsLock: boolean } = { holdsLock: true }): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await insertRelease(this.deps.pool, record, options);
        return;
      } catch (error) {
        if (error instanceof ReleaseIdTaken) {
          // A retried start resuming its own record, unless that release has already ended.
          const existing = await getRelease(this.deps.pool, record.id);
          if (existing?.finishedAt) {
            throw new ConflictError(`release ${record.id} has already ended (${existing.status})`, record.id);
          }
          return;
        }
        if (!(error instanceof ActiveReleaseConflict)) throw error;
        const holder = error.active;
        const released = holder === undefined || (await this.deps.reconciler.reconcile(holder));
        if (!released || attempt >= 2) {
          const id = holder?.id ?? 'another release';
          throw new ConflictError(`release ${id} of ${record.service} is still in flight`, holder?.id);
        }
      }
    }
  }

  /**
   * Starts the workflow, or finds the one an earlier attempt of this start already started — only
   * if that one carries this API's start authority for the id: a workflow someone else started under
   * the id is never taken for the release (ConflictError; its record is dropped).
   */
  async #startWorkflow(
    workflow: typeof releaseWorkflowV2,
    options: WorkflowStartOptions<typeof releaseWorkflowV2>,
  ): Promise<string> {
    try {
      const handle = await this.deps.client.workflow.start(workflow, options);
      return handle.firstExecutionRunId;
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      const { workflowId } = options;
      const adoption = await adoptRunningStart(
        this.deps.client,
        this.deps.decisionKeys,
        'releaseWorkflowV2',
        workflowId,
      );
      if (adoption.adopted) return adoption.runId;
      this.deps.logger.warn(
        { releaseId: workflowId, reason: adoption.reason },
        'a workflow Runway did not start holds the release id',
      );
      await deleteRelease(this.deps.pool, workflowId);
      throw new ConflictError(
        `a workflow that Runway's API did not start runs under ${workflowId} (${adoption.reason}); start the release again`,
        workflowId,
      );
    }
  }

  async #workflowExists(releaseId: string): Promise<boolean> {
    return this.deps.client.workflow
      .getHandle(releaseId)
      .describe()
      .then(
        () => true,
        (error: unknown) => !(error instanceof WorkflowNotFoundError),
      );
  }
}
