// Rolling a release back (R-RB-*): run its compensations newest first — a failed one raises a P0
// alert and waits in guided failure (retry, skip, abort), never silently — then run the rollback
// verification checklist in every environment that was rolled back, and end `rolled-back` with the
// cause (the trigger and its figures, or who ordered it and why) in the record and the history.
import { ApplicationFailure, allHandlersFinished, condition, setCurrentDetails } from '@temporalio/workflow';
import type { RestoredState } from '../activities/rollback-verification-activities.js';
import { rollbackVerificationActivities } from './activity-proxies.js';
import { raiseAlert } from './alerting.js';
import { describe } from './failure-policy.js';
import { waitForDecision } from './guided-failure.js';
import { markdownText } from './markdown-text.js';
import type {
  CompensationEntry,
  ReleaseOutcome,
  ReleaseStatus,
  RollbackReport,
  RollbackVerificationReport,
  StepRecord,
} from './release-model.js';
import { now, putStep } from './step-records.js';
import {
  compensationKindOf,
  readBackDriversIn,
  runCompensation,
  type StepContext,
  traitsOf,
} from './steps/step-kinds.js';

/**
 * Runs `entries` in order. A compensation that fails asks a person: retry it, skip it (leave that
 * change in place) or abort (stop compensating). Returns why it stopped early, if it did.
 */
export async function runCompensationsGuided(
  context: StepContext,
  entries: CompensationEntry[],
): Promise<{ stoppedBecause?: string }> {
  for (const entry of entries) {
    for (;;) {
      const failure = await runOne(context, entry);
      if (failure === undefined) break;
      const answer = await waitForDecision(context, {
        kind: 'compensation',
        subject: entry.id,
        environment: entry.environment,
        reason: failure,
        options: ['retry', 'skip', 'abort'],
      });
      if (answer.decision === 'retry') continue;
      if (answer.decision === 'skip') {
        entry.status = 'skipped';
        entry.detail = `left in place by ${answer.decidedBy}: ${answer.reason}`;
        putStep(context, compensationRecord(entry, 'skipped', { detail: { result: entry.detail } }));
        break;
      }
      return {
        stoppedBecause: `compensation "${entry.description}" failed (${failure}) and ${answer.decidedBy} stopped compensating, so ${entry.environment} may be left half-way`,
      };
    }
  }
  return {};
}

function compensationRecord(
  entry: CompensationEntry,
  status: StepRecord['status'],
  extra: Partial<StepRecord> = {},
): StepRecord {
  return {
    id: entry.id,
    name: entry.description,
    kind: 'compensation',
    environment: entry.environment,
    status,
    startedAt: entry.startedAt ?? now(),
    ...(status === 'running' ? {} : { finishedAt: entry.finishedAt ?? now() }),
    ...extra,
  };
}

/** Runs one compensation; returns the failure's message, or undefined when it ran (or had nothing to do). */
async function runOne(context: StepContext, entry: CompensationEntry): Promise<string | undefined> {
  entry.status = 'running';
  entry.startedAt = now();
  entry.finishedAt = undefined;
  putStep(context, compensationRecord(entry, 'running'));
  await context.records.write(`compensate ${entry.id}`);
  try {
    const result = await runCompensation(context.input, entry);
    entry.status = result.status;
    entry.detail = result.detail;
    entry.finishedAt = now();
    putStep(
      context,
      compensationRecord(entry, result.status === 'done' ? 'compensated' : 'skipped', {
        detail: { result: result.detail },
      }),
    );
    return undefined;
  } catch (error) {
    entry.status = 'failed';
    entry.detail = describe(error);
    entry.finishedAt = now();
    putStep(context, compensationRecord(entry, 'failed', { error: describe(error) }));
    return describe(error);
  }
}

export interface RollbackRequest {
  cause: RollbackReport['cause'];
  reason: string;
  orderedBy: string[];
  automatic?: RollbackReport['automatic'];
  /** One environment (an automatic rollback undoes where the bake ran), or everything the release did. */
  environment?: string;
  /** The environment its cause belongs to (the order's, the failed step's): who may read the reason. */
  about?: string;
  /** The step that was running, ended as failed (or stopped) with this message. */
  interrupted?: { record: StepRecord; message: string };
}

/** Rolls the release back and ends it. Never returns: the execution ends Failed, as every release that did not go out. */
export async function endWithRollback(context: StepContext, request: RollbackRequest): Promise<never> {
  const { state, records, input } = context;
  context.desk.orders?.setWindow({
    open: false,
    refusal: 'gate-closed',
    reason: 'the release is rolling back',
  });
  state.pendingGate = undefined;
  state.rollbackOpenUntil = undefined;
  const startedAt = now();
  const about = request.about ?? request.environment;
  state.rollback = {
    cause: request.cause,
    ...(about ? { environment: about } : {}),
    reason: request.reason,
    orderedBy: request.orderedBy,
    ...(request.automatic ? { automatic: request.automatic } : {}),
    startedAt,
    verification: [],
  };
  if (request.interrupted) {
    const { record, message } = request.interrupted;
    putStep(context, { ...record, status: 'failed', finishedAt: now(), error: message });
  }
  context.setStatus('rolling-back');
  setCurrentDetails(`Rolling back **${input.service} ${input.version}**: ${markdownText(request.reason)}`);
  // The reason can carry what someone wrote: a summary is markdown, so it is shown as text.
  await records.write(`roll back (${request.cause}): ${markdownText(request.reason, 200)}`);
  const entries = state.rollbackPlan.filter(
    (entry) =>
      entry.status === 'pending' &&
      (request.environment === undefined || entry.environment === request.environment),
  );
  const { stoppedBecause } = await runCompensationsGuided(context, entries);
  if (stoppedBecause === undefined) {
    state.rollback.verification = await verifyEnvironments(context, entries);
  }
  const finishedAt = now();
  state.rollback.finishedAt = finishedAt;
  state.rollback.durationMs = Date.parse(finishedAt) - Date.parse(startedAt);
  return finish(context, request, stoppedBecause);
}

async function finish(
  context: StepContext,
  request: RollbackRequest,
  stoppedBecause: string | undefined,
): Promise<never> {
  const { state, records, input } = context;
  const report = state.rollback as RollbackReport;
  const unverified = report.verification.filter((item) => !item.passed);
  let status: ReleaseStatus = 'rolled-back';
  let reason = request.reason;
  /** The environments the reason speaks of, when it names failed checklists. */
  let spokenOf = new Set<string>();
  if (stoppedBecause !== undefined) {
    status = 'failed';
    reason = `${request.reason}; then ${stoppedBecause}`;
  } else if (unverified.length > 0) {
    status = 'failed';
    const failing = unverified.flatMap((env) =>
      env.items
        .filter((item) => !item.passed)
        .map((item) => `${env.environment}: ${item.name} (${item.detail})`),
    );
    reason = `${request.reason}; rolled back, but the rollback verification failed: ${failing.join('; ')}`;
    // The message speaks of the rollback's cause and of each environment that failed its checklist:
    // it belongs to one environment only when they are all the same one (release-rules.ts, readers).
    spokenOf = new Set([
      ...unverified.map((env) => env.environment),
      ...(report.environment ? [report.environment] : []),
    ]);
    await raiseAlert(context, {
      key: 'rollback-verification-failed',
      level: 'P0',
      kind: 'rollback-verification-failed',
      stepId: null,
      environment: spokenOf.size === 1 ? ([...spokenOf][0] as string) : null,
      message: `${input.service} ${input.version}: ${reason}`,
    });
  }
  state.failure = {
    step: request.interrupted?.record.id ?? state.currentStep ?? 'release',
    reason,
    ...(report.environment ? { environment: report.environment } : {}),
    ...(spokenOf.size > 1 ? { environments: [...spokenOf] } : {}),
  };
  state.currentStep = undefined;
  context.setStatus(status);
  await records.write(`release ${status}`);
  records.takeRejection();
  if (status === 'rolled-back' && request.cause === 'automatic') {
    await raiseAlert(context, {
      key: 'rolled-back',
      level: 'P2',
      kind: 'rolled-back',
      stepId: state.failure.step,
      environment: request.environment ?? null,
      message: `${input.service} ${input.version} was rolled back automatically: ${request.reason}`,
      details: { ...request.automatic },
    });
  }
  await condition(allHandlersFinished);
  setCurrentDetails(`Release ended **${status}**: ${markdownText(reason)}`);
  const outcome: ReleaseOutcome = { status, failure: state.failure };
  throw ApplicationFailure.nonRetryable(
    `release ${status}: ${reason}`,
    status === 'rolled-back' ? 'ReleaseRolledBack' : 'ReleaseFailed',
    outcome,
  );
}

/** The checklist in every environment a compensation ran in, in the order they were rolled back. */
async function verifyEnvironments(
  context: StepContext,
  entries: CompensationEntry[],
): Promise<RollbackVerificationReport[]> {
  const policy = context.input.plan.rollback;
  const environments = [
    ...new Set(entries.filter((entry) => entry.status === 'done').map((entry) => entry.environment)),
  ];
  const reports: RollbackVerificationReport[] = [];
  for (const environment of environments) {
    const spec = policy?.verification[environment];
    if (!spec) continue;
    const restored = restoredIn(context, entries, environment);
    const report = await rollbackVerificationActivities.verifyRollback.executeWithOptions(
      { summary: `rollback verification checklist in ${environment}` },
      [
        {
          releaseId: context.input.releaseId,
          environment,
          spec,
          expectedVersion: restored.version ?? previousVersionIn(context, environment),
          restored,
          service: context.input.service,
          drivers: readBackDriversIn(context.input.plan, environment),
        },
      ],
    );
    const database = entries.filter(
      (entry) => entry.environment === environment && compensationKindOf(entry.action).restoresData,
    );
    const dataItem =
      database.length === 0
        ? { name: 'data consistency', passed: true, detail: 'the release changed no database here' }
        : {
            name: 'data consistency',
            passed: database.every((entry) => entry.status === 'done'),
            detail: database
              .map((entry) => `${entry.description}: ${entry.status} (${entry.detail ?? ''})`)
              .join('; '),
          };
    const items = [...report.items, dataItem];
    reports.push({ environment, passed: items.every((item) => item.passed), items });
  }
  return reports;
}

/**
 * What the compensations that ran in `environment` put back (R-RB-VERIFY): the version users get,
 * each rolling instance's version, the configuration revision. The checklist checks each.
 */
function restoredIn(context: StepContext, entries: CompensationEntry[], environment: string): RestoredState {
  const restored: RestoredState = {};
  for (const entry of entries) {
    if (entry.environment !== environment || entry.status !== 'done') continue;
    compensationKindOf(entry.action).restores(entry.action, restored, () =>
      previousVersionIn(context, environment),
    );
  }
  const versions = new Set(Object.values(restored.instances ?? {}));
  if (restored.instances && restored.version === undefined && versions.size === 1) {
    restored.version = [...versions][0] as string;
  }
  return restored;
}

/** What ran in `environment` before the release: the step that deployed there recorded it. */
function previousVersionIn(context: StepContext, environment: string): string | null {
  const deploy = context.state.steps.find(
    ({ kind, environment: where, detail }) =>
      kind !== 'compensation' &&
      traitsOf({ kind }).recordsPreviousVersion &&
      where === environment &&
      detail !== undefined,
  );
  const previous = deploy?.detail?.previousVersion;
  return typeof previous === 'string' ? previous : null;
}
