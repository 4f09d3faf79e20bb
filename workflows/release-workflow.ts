// The v2 release engine (workflow type `releaseWorkflowV2`), one for every release type: a small
// state machine over the resolved runbook's steps. Each step kind has its executor (steps/); what a
// failure leads to is decided in one place (failure-policy.ts); compensations are data
// (compensations.ts); decisions arrive through the decision desk; the record follows every
// transition (record-writer.ts). Deterministic: no I/O, no wall clock beyond the workflow clock.
// Changing what this code does for releases already running needs patched(): see "Changing workflow code" in docs/operations.md.
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { CompensationLog } from './compensations.js';
import { DecisionDesk } from './decision-desk.js';
import { decideAfterFailure } from './failure-policy.js';
import { runGuardedRelease } from './guarded-release.js';
import { OversightWatch } from './oversight.js';
import { backgroundAlertsSettled } from './oversight-alerts.js';
import { RecordWriter, type WriteResult } from './record-writer.js';
import { abandonBeforeStart, endAfterFailure } from './release-endings.js';
import { approvalSignal, decideUpdate, releaseStateQuery } from './release-messages.js';
import type { PlanStep, ReleaseInput, ReleaseOutcome, ReleaseState, ReleaseStatus } from './release-model.js';
import { RELEASE_RULES_PATCH, RULES_FIRST_PATCH } from './release-rules.js';
import { environmentKey, statusKey } from './search-attributes.js';
import { admitStart, refuseStart } from './start-authority.js';
import { finishStep, now, startStep, throwIfRecordRejected } from './step-records.js';
import { executeStep, type StepContext } from './steps/step-kinds.js';

/**
 * `authority` is the API's signed word that it started this release (start-authority.ts): without
 * it, nothing runs. Absent in releases started before the check, which replay as they ran.
 */
export async function releaseWorkflowV2(input: ReleaseInput, authority?: unknown): Promise<ReleaseOutcome> {
  // The API's release id is the workflow id; the input is not touched until the start is admitted.
  const state: ReleaseState = {
    releaseId: workflowInfo().workflowId,
    status: 'running',
    steps: [],
    decisions: [],
    rollbackPlan: [],
  };
  // Answered from the first moment, also while the start is being checked.
  setHandler(releaseStateQuery, () => state);
  // The rules of release-rules.ts, for releases started under them; earlier ones keep theirs. Asked
  // first since RULES_FIRST_PATCH: a marker after the start check's local activity may be recorded in
  // the next workflow task, and such a history fails to replay (a query, a worker taking it over).
  const rulesFirst = patched(RULES_FIRST_PATCH);
  const enforcing = await admitStart(input, authority);
  const rules = { current: rulesFirst || patched(RELEASE_RULES_PATCH) };
  const records = new RecordWriter(input, state);
  const desk = new DecisionDesk(input, state, records, { refuseUnsealed: enforcing, rules });
  const searchAttributes = new SearchAttributeMirror();
  let watch: OversightWatch | undefined;
  const context: StepContext = {
    input,
    state,
    compensations: new CompensationLog(state),
    desk,
    records,
    rules,
    setStatus: (status) => {
      const changed = status !== state.status;
      state.status = status;
      searchAttributes.update(state);
      if (changed) {
        watch?.statusChanged(status);
        desk.statusChanged();
      }
    },
  };

  setHandler(decideUpdate, (signed) => desk.handle(signed, 'update'), {
    validator: (signed) => desk.validate(signed),
  });
  // A signal has no caller to answer: whatever happens is recorded, and nothing a sender puts in
  // one may fail or end the workflow.
  setHandler(approvalSignal, async (signed) => {
    await desk
      .handle(signed, 'signal')
      .catch((error: unknown) => log.warn('approval signal not judged', { error }));
  });

  setCurrentDetails(
    `Release **${input.service} ${input.version}** (${input.type}), requested by ${input.requestedBy}`,
  );
  // The first write claims the record: if it was closed before this workflow ran (its start took
  // so long that the service was reclaimed), this release ends here without touching anything.
  const claim = await claimRecord(records);
  // Another run of this release holds its record: a re-run under its id acts for no one.
  if (claim.heldByAnotherRun) return refuseStart(`another run holds release ${input.releaseId}`);
  if (!claim.applied) return abandonBeforeStart(context);
  // SLA, stage announcements, escalation and expiry (R-SLA, R-ESCALATE, R-EXPIRE): plans with oversight only.
  if (input.plan.oversight) {
    watch = new OversightWatch(context, input.plan.oversight);
    watch.start();
  }
  // Plans with a rollback policy take orders and guided decisions; older plans walk the loop below,
  // unchanged, so their histories replay.
  if (input.plan.rollback) {
    try {
      return await runGuardedRelease(context, input.plan.rollback);
    } finally {
      // Alerts raised in the background (stages, escalations, the SLA) go out before the execution closes.
      if (watch) await CancellationScope.nonCancellable(() => backgroundAlertsSettled(context));
    }
  }

  for (let index = 0; index < input.plan.steps.length; ) {
    const step = input.plan.steps[index] as PlanStep;
    const record = startStep(context, step, index);
    try {
      await records.write(`${step.id} started`);
      throwIfRecordRejected(records);
      const detail = await executeStep(context, step);
      finishStep(context, { ...record, status: 'succeeded', finishedAt: now(), detail });
      index += 1;
    } catch (error) {
      const decision = decideAfterFailure({ kind: 'step', step, error });
      return await CancellationScope.nonCancellable(() =>
        endAfterFailure(context, step, record, decision, error),
      );
    }
  }
  state.currentStep = undefined;
  state.environment = undefined;
  context.setStatus('succeeded');
  await records.write('release succeeded');
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  setCurrentDetails(`Released **${input.service} ${input.version}**`);
  return { status: 'succeeded' };
}

/** How long a release started to supersede another waits for it to let go of the service. */
const SERVICE_WAIT_MS = 2 * 60_000;
const SERVICE_POLL_MS = 1_000;

/**
 * The first write claims the record and the service's lock. A release started to supersede one that
 * waits at a gate is started first (R-EXPIRE: supersession only once the newer release runs) and
 * takes the lock once the older one has let go of it; if that takes too long, it ends having done
 * nothing (the API has answered the start's caller by then).
 */
async function claimRecord(records: RecordWriter): Promise<WriteResult> {
  let claim = await records.write('claim the release record');
  const deadline = Date.now() + SERVICE_WAIT_MS;
  while (claim.lockHeldBy && Date.now() < deadline) {
    await sleep(SERVICE_POLL_MS);
    claim = await records.write(`claim the service once ${claim.lockHeldBy} lets go`);
  }
  return claim.lockHeldBy ? { applied: false } : claim;
}

/**
 * Keeps the status and current-environment search attributes in step with the state, upserting only
 * on a change, and only when the starter set them (a bare test server may not know them).
 */
class SearchAttributeMirror {
  /** The starter sets `running`. */
  #status: ReleaseStatus = 'running';
  #environment: string | undefined;
  readonly #enabled = workflowInfo().typedSearchAttributes.get(statusKey) !== undefined;

  update(state: ReleaseState): void {
    if (!this.#enabled) return;
    const updates = [];
    if (state.status !== this.#status) updates.push({ key: statusKey, value: state.status });
    if (state.environment !== undefined && state.environment !== this.#environment) {
      updates.push({ key: environmentKey, value: state.environment });
    }
    if (updates.length === 0) return;
    this.#status = state.status;
    this.#environment = state.environment ?? this.#environment;
    upsertSearchAttributes(updates);
  }
}
