// The worker's side of the trust boundary: before any activity of a release runs, its run must hold
// the release's record (the run the API started, bound at the record's claim), and every command,
// endpoint and name in its arguments must be the release's own — taken from the plan the API
// resolved from the configuration and wrote to PostgreSQL before the start, never from what travels
// through Temporal. A reset or re-run of a release, or activities scheduled by anything but the
// release's own run, do nothing: the call is refused, recorded in the audit trail, and the run is
// terminated so it cannot go on to the next step.
import { ApplicationFailure, type Context, type Info } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type pg from 'pg';
import type { Logger } from 'pino';
import { AuditLog } from '../db/audit-log.js';
import { bindRunIfUnbound, findReleaseRun, type ReleaseRun } from '../db/release-runs.js';
import { canonicalJson } from '../security/canonical-json.js';
import { untrustedOrigin } from '../workflows/payload-origin.js';

/** The failure type of a refused activity, as Temporal shows it. */
export const RUN_REFUSED = 'RunNotAuthorised';

/**
 * Activities that may run before a run has claimed its record, or that check the run themselves:
 * the start's own verification and refusal, a decision's signature check (a pure computation), and
 * the record write, whose SQL binds and checks the run (db/release-records.ts).
 */
const CHECKED_ELSEWHERE = new Set([
  'verifyStartAuthority',
  'recordRefusedStart',
  'verifyDecision',
  'recordTransition',
]);
const RELEASE_WORKFLOW_TYPES = new Set(['releaseWorkflow', 'releaseWorkflowV2']);
/** Argument fields that name where a request or a connection goes. */
const ENDPOINT_FIELDS = new Set(['url', 'baseUrl', 'urlEnv']);
const RUNS_KEPT = 5_000;

export interface RunAuthorityDeps {
  pool: pg.Pool;
  logger: Logger;
  /** Ends a run that tried what it may not (best effort); none: the refused activity alone stops it. */
  terminate?: (workflowId: string, runId: string, reason: string) => Promise<void>;
}

/** What a release's run may name, from its record: fingerprints of its plan's commands and endpoints. */
interface TrustedRun {
  service: string;
  environments: Set<string>;
  commands: Set<string>;
  endpoints: Set<string>;
}

export class RunAuthority {
  /** Runs already admitted, by run id: a run's record never changes hands once bound. */
  readonly #admitted = new Map<string, TrustedRun>();
  readonly #audit: AuditLog;

  constructor(private readonly deps: RunAuthorityDeps) {
    this.#audit = new AuditLog(deps.pool);
  }

  /** The worker interceptor that admits every activity call before it runs. */
  interceptor(): ActivityInterceptorsFactory {
    return (context: Context) => ({
      inbound: {
        execute: async (input, next) => {
          await this.admit(context.info, input.args);
          return next(input);
        },
      },
    });
  }

  /** Throws (non-retryable, recorded) when the call is not the release's own; a database error is retried. */
  async admit(info: Info, args: readonly unknown[]): Promise<void> {
    if (CHECKED_ELSEWHERE.has(info.activityType)) return;
    if (!info.workflowExecution)
      return this.refuse(info, `${info.activityType} was not called by a workflow`);
    const unsealed = args.map(untrustedOrigin).find((reason) => reason !== undefined);
    if (unsealed)
      return this.refuse(info, `an argument of ${info.activityType} is not Runway’s: ${unsealed}`);
    if (!RELEASE_WORKFLOW_TYPES.has(info.workflowType ?? '')) {
      // The inspection names a service and an environment; its command comes from the worker's config.
      const stray = strayFragment(args, undefined);
      if (stray) return this.refuse(info, `${info.workflowType} may not name ${stray}`);
      return;
    }
    const run = await this.#trustedRun(info);
    const releaseId = info.workflowExecution.workflowId;
    const stray = strayFragment(args, { run, releaseId });
    if (stray)
      return this.refuse(info, `${info.activityType} names ${stray}, which release ${releaseId} does not`);
  }

  async #trustedRun(info: Info): Promise<TrustedRun> {
    const { workflowId, runId } = executionOf(info);
    const known = this.#admitted.get(runId);
    if (known) return known;
    let record = await findReleaseRun(this.deps.pool, workflowId);
    if (!record)
      return this.refuse(info, `release ${workflowId} has no record: Runway's API did not start it`);
    if (record.workflowType !== info.workflowType) {
      return this.refuse(
        info,
        `release ${workflowId} runs on ${record.workflowType}, not ${info.workflowType}`,
      );
    }
    // A release started before runs were bound: its first run to act holds it from now on.
    if (record.runId === null) {
      await bindRunIfUnbound(this.deps.pool, workflowId, runId);
      record = (await findReleaseRun(this.deps.pool, workflowId)) as ReleaseRun;
    }
    if (record.runId !== runId) {
      return this.refuse(
        info,
        `run ${runId} does not hold release ${workflowId} (its run is ${record.runId}): a reset or a re-run acts for no one`,
      );
    }
    const trusted = trustedRunOf(record);
    if (this.#admitted.size >= RUNS_KEPT) this.#admitted.delete(this.#admitted.keys().next().value as string);
    this.#admitted.set(runId, trusted);
    return trusted;
  }

  /** Records the refusal, ends the run (best effort) and throws the non-retryable failure. */
  async refuse(info: Info, reason: string): Promise<never> {
    const { workflowId, runId } = executionOf(info);
    this.deps.logger.warn({ workflowId, runId, activity: info.activityType, reason }, 'activity refused');
    await this.#audit
      .record({
        actor: null,
        action: 'workflow.activity-refused',
        target: workflowId,
        environment: null,
        outcome: 'refused',
        status: null,
        reason,
        requestId: null,
        details: { workflowType: info.workflowType, runId, activity: info.activityType },
      })
      .catch((error: unknown) =>
        this.deps.logger.error({ err: String(error), workflowId }, 'a refused activity could not be audited'),
      );
    await this.deps
      .terminate?.(workflowId, runId, `refused by the worker: ${reason}`)
      .catch((error: unknown) =>
        this.deps.logger.warn({ err: String(error), workflowId, runId }, 'could not terminate a refused run'),
      );
    throw ApplicationFailure.nonRetryable(reason, RUN_REFUSED);
  }
}

const executionOf = (info: Info) => info.workflowExecution ?? { workflowId: '(none)', runId: '(none)' };

function trustedRunOf(record: ReleaseRun): TrustedRun {
  const trusted: TrustedRun = {
    service: record.service,
    environments: new Set(record.environments),
    commands: new Set(),
    endpoints: new Set(),
  };
  visit(record.plan, (key, value) => {
    if (isCommand(value)) trusted.commands.add(canonicalJson(value));
    if (key !== undefined && ENDPOINT_FIELDS.has(key) && typeof value === 'string')
      trusted.endpoints.add(value);
    if (key === 'environment' && typeof value === 'string') trusted.environments.add(value);
  });
  return trusted;
}

/**
 * The first thing in an activity's arguments that its run may not name, described; undefined when
 * everything is the release's own. Without a run (the inspection): no command and no endpoint at all.
 */
function strayFragment(
  args: readonly unknown[],
  release: { run: TrustedRun; releaseId: string } | undefined,
): string | undefined {
  let stray: string | undefined;
  visit(args, (key, value) => {
    if (stray) return;
    if (isCommand(value)) {
      if (!release?.run.commands.has(canonicalJson(value)))
        stray = `a command (${describeCommand(value)}) not in its plan`;
      return;
    }
    if (typeof value !== 'string' || key === undefined) return;
    if (ENDPOINT_FIELDS.has(key) && !release?.run.endpoints.has(value))
      stray = `${key} ${JSON.stringify(value)}`;
    else if (!release) return;
    else if (key === 'releaseId' && value !== release.releaseId) stray = `release ${JSON.stringify(value)}`;
    else if (key === 'service' && value !== release.run.service) stray = `service ${JSON.stringify(value)}`;
    else if (key === 'environment' && !release.run.environments.has(value)) {
      stray = `environment ${JSON.stringify(value)}`;
    }
  });
  return stray;
}

const isCommand = (value: unknown): value is { argv: unknown[] } =>
  value !== null && typeof value === 'object' && Array.isArray((value as { argv?: unknown }).argv);

const describeCommand = (command: { argv: unknown[] }): string =>
  JSON.stringify(command.argv.slice(0, 3)).slice(0, 120);

/** Every member of a JSON-like value, depth first, with the key it sits under (none for array items). */
function visit(value: unknown, see: (key: string | undefined, value: unknown) => void, key?: string): void {
  see(key, value);
  if (Array.isArray(value)) {
    for (const item of value) visit(item, see);
  } else if (value !== null && typeof value === 'object') {
    for (const [name, member] of Object.entries(value)) visit(member, see, name);
  }
}
