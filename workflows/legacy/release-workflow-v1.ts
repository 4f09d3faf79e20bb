// FROZEN — the v1 release engine, workflow type `releaseWorkflow`. New releases start the v2 engine
// (`releaseWorkflowV2`, ../release-workflow.ts); releases started before it finish here, and the
// histories recorded from this code (test/replay/histories/regular-release-*.json) must keep
// replaying. Never change what this file does: see "Changing workflow code" in docs/operations.md.
// Known limit, kept for compatibility: v1 trusts the approver and roles an approval signal claims.
// The API no longer starts this engine, so an execution started after the trust boundary (behind
// patched(), see ./start-refusal.ts) is someone else's and is refused before it does anything. It
// imports nothing at run time from outside this folder, so no edit to the v2 engine changes it.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { recordActivities, stepActivities, targetActivities } from './activity-proxies-v1.js';
import { ApprovalGate } from './approval-gate-v1.js';
import { CompensationStack } from './compensation-stack-v1.js';
import { approvalSignal, releaseStateQuery } from './release-messages-v1.js';
import {
  type ApprovalPlanStep,
  type CommandPlanStep,
  type DeployPlanStep,
  isActiveStatus,
  otherColour,
  type PlanStep,
  type ReleaseFailure,
  type ReleaseInput,
  type ReleaseOutcome,
  type ReleaseState,
  type ReleaseStatus,
  type StepRecord,
  type VerifyPlanStep,
} from './release-model-v1.js';
import { refuseStart, START_AUTHORITY_PATCH } from './start-refusal.js';

/** The release's status as a search attribute, upserted only where the namespace has it. */
const statusKey = defineSearchAttributeKey('RunwayStatus', SearchAttributeType.KEYWORD);

/** Thrown inside the workflow when an approver rejects: the release ends `rejected`, not `failed`. */
class ReleaseRejected extends Error {}

const now = (): string => new Date().toISOString();

export async function releaseWorkflow(input: ReleaseInput): Promise<ReleaseOutcome> {
  if (patched(START_AUTHORITY_PATCH)) return refuseStart('Runway no longer starts the v1 release engine');
  const state: ReleaseState = {
    releaseId: input.releaseId,
    status: 'running',
    steps: [],
    refusedApprovals: [],
  };
  const compensations = new CompensationStack();
  let gate: ApprovalGate | undefined;

  setHandler(releaseStateQuery, () => state);
  setHandler(approvalSignal, (decision) => {
    if (gate !== undefined && state.pendingGate?.gateId === decision.gateId) {
      gate.receive(decision);
      return;
    }
    state.refusedApprovals.push({
      approver: decision.approver,
      reason: 'no such gate is pending',
      at: now(),
    });
  });

  async function setStatus(status: ReleaseStatus, failure?: ReleaseFailure): Promise<void> {
    state.status = status;
    state.failure = failure;
    // Only when the starter set the attribute: the server then knows it (a bare test server may not).
    if (workflowInfo().typedSearchAttributes.get(statusKey) !== undefined) {
      upsertSearchAttributes([{ key: statusKey, value: status }]);
    }
    await recordActivities.recordReleaseState({
      releaseId: input.releaseId,
      status,
      currentStep: state.currentStep,
      failure,
      finished: !isActiveStatus(status),
    });
  }

  async function recordStep(record: StepRecord): Promise<void> {
    const index = state.steps.findIndex((step) => step.id === record.id);
    if (index >= 0) state.steps[index] = record;
    else state.steps.push(record);
    await recordActivities.recordStep(input.releaseId, record);
  }

  async function deploy(step: DeployPlanStep): Promise<Record<string, unknown>> {
    const target = {
      releaseId: input.releaseId,
      service: input.service,
      environment: step.environment,
      driver: step.driver,
    };
    const where = `${input.service} in ${step.environment}`;
    const before = await targetActivities.inspectTarget.executeWithOptions({ summary: `inspect ${where}` }, [
      target,
    ]);
    const active = before.activeColour;
    const idle = active === null ? 'blue' : otherColour(active);
    await targetActivities.deployToColour.executeWithOptions(
      { summary: `deploy ${input.version} to ${idle} (idle) of ${where}` },
      [{ ...target, colour: idle, version: input.version }],
    );
    await targetActivities.checkColour.executeWithOptions(
      { summary: `check ${input.version} on ${idle} of ${where} before it takes traffic` },
      [{ ...target, colour: idle, version: input.version }],
    );
    if (active !== null) {
      // R-RB-BLUEGREEN: the undo of a switch is switching back to the colour that served before.
      // Recorded before the switch: a switch that took effect but reported failure is undone too.
      compensations.push({
        stepId: step.id,
        environment: step.environment,
        description: `switch ${where} back to ${active}`,
        run: async () => {
          await targetActivities.switchTraffic.executeWithOptions(
            { summary: `compensate: switch ${where} back to ${active}` },
            [{ ...target, colour: active }],
          );
        },
      });
    }
    await targetActivities.switchTraffic.executeWithOptions({ summary: `switch ${where} to ${idle}` }, [
      { ...target, colour: idle },
    ]);
    return {
      previousColour: active,
      newColour: idle,
      previousVersion: active ? before.colours[active]?.version : null,
    };
  }

  async function runCommandStep(step: CommandPlanStep): Promise<Record<string, unknown>> {
    const result = await stepActivities.runStepCommand.executeWithOptions(
      {
        summary: `${step.name} (${step.environment})`,
        startToCloseTimeout: step.command.timeoutMs + 30_000,
        retry: { maximumAttempts: step.maxAttempts },
      },
      [{ releaseId: input.releaseId, stepId: step.id, command: step.command }],
    );
    return { exitCode: result.exitCode, durationMs: result.durationMs, output: result.output };
  }

  async function verify(step: VerifyPlanStep): Promise<Record<string, unknown>> {
    const longestCheck = Math.max(...step.checks.map((check) => check.timeoutMs));
    const result = await stepActivities.verifyService.executeWithOptions(
      {
        summary: `${step.name}: ${step.checks.map((check) => check.name).join(', ')}`,
        startToCloseTimeout: step.attempts * (step.intervalMs + longestCheck) + 30_000,
      },
      [
        {
          releaseId: input.releaseId,
          stepId: step.id,
          url: step.url,
          version: input.version,
          checks: step.checks,
          attempts: step.attempts,
          intervalMs: step.intervalMs,
        },
      ],
    );
    return { attempt: result.attempt, checks: result.checks };
  }

  async function awaitApproval(step: ApprovalPlanStep): Promise<Record<string, unknown>> {
    gate = new ApprovalGate(step, input.requestedBy);
    state.pendingGate = gate.pending;
    await setStatus('awaiting-approval');
    const outcome = await gate.wait({
      onRefused: (approver, reason) => state.refusedApprovals.push({ approver, reason, at: now() }),
      onDecision: (decision, at) =>
        recordActivities.recordApproval({
          releaseId: input.releaseId,
          gateId: step.id,
          approver: decision.approver,
          roles: decision.roles,
          decision: decision.decision,
          comment: decision.comment,
          decidedAt: at,
        }),
    });
    const approvals = gate.pending.approvals.map(({ approver, seat }) => ({ approver, seat }));
    state.pendingGate = undefined;
    gate = undefined;
    if (!outcome.approved) {
      const why = outcome.comment ? `: ${outcome.comment}` : '';
      throw new ReleaseRejected(`rejected by ${outcome.rejectedBy}${why}`);
    }
    await setStatus('running');
    return { approvals };
  }

  function runStep(step: PlanStep): Promise<Record<string, unknown>> {
    switch (step.kind) {
      case 'deploy':
        return deploy(step);
      case 'command':
        return runCommandStep(step);
      case 'verify':
        return verify(step);
      case 'approval':
        return awaitApproval(step);
    }
  }

  async function compensate(environment: string): Promise<void> {
    for (const compensation of compensations.takeFor(environment)) {
      const record: StepRecord = {
        id: `${compensation.stepId}.compensation`,
        name: compensation.description,
        kind: 'compensation',
        environment,
        status: 'running',
        startedAt: now(),
      };
      await recordStep(record);
      try {
        await compensation.run();
        await recordStep({ ...record, status: 'compensated', finishedAt: now() });
      } catch (error) {
        // Guided failure and the P0 alert for a failed compensation come with R-RB-VERIFY.
        await recordStep({ ...record, status: 'failed', finishedAt: now(), error: describe(error) });
      }
    }
  }

  setCurrentDetails(
    `Release **${input.service} ${input.version}** (${input.type}), requested by ${input.requestedBy}`,
  );
  for (const step of input.plan.steps) {
    state.currentStep = step.id;
    setCurrentDetails(`**${step.name}** (${step.environment}) — step ${state.steps.length + 1}`);
    const record: StepRecord = {
      id: step.id,
      name: step.name,
      kind: step.kind,
      environment: step.environment,
      status: 'running',
      startedAt: now(),
    };
    await recordStep(record);
    await setStatus(state.status);
    try {
      const detail = await runStep(step);
      await recordStep({ ...record, status: 'succeeded', finishedAt: now(), detail });
    } catch (error) {
      return await CancellationScope.nonCancellable(() => endAfterFailure(step, record, error));
    }
  }
  state.currentStep = undefined;
  await setStatus('succeeded');
  setCurrentDetails(`Released **${input.service} ${input.version}**`);
  return { status: 'succeeded' };

  // Compensations run even when the release is cancelled (R-COMPENSATE), hence nonCancellable.
  // The execution itself then ends Failed (or Canceled), so Temporal Web shows at a glance which
  // releases did not go out; the record and the query keep the release's own status.
  async function endAfterFailure(step: PlanStep, record: StepRecord, error: unknown): Promise<never> {
    const reason = describe(error);
    const status: ReleaseStatus =
      error instanceof ReleaseRejected ? 'rejected' : isCancellation(error) ? 'cancelled' : 'failed';
    log.warn('release step ended the release', { step: step.id, status, reason });
    state.pendingGate = undefined;
    await recordStep({ ...record, status: 'failed', finishedAt: now(), error: reason });
    await compensate(step.environment);
    const failure = { step: step.id, reason };
    await setStatus(status, failure);
    setCurrentDetails(`Release ended **${status}** at ${step.name}: ${reason}`);
    if (status === 'cancelled') throw error;
    const outcome: ReleaseOutcome = { status, failure };
    throw ApplicationFailure.nonRetryable(
      `release ${status} at ${step.id}: ${reason}`,
      status === 'rejected' ? 'ReleaseRejected' : 'ReleaseFailed',
      outcome,
    );
  }
}

/** The innermost message of a failure chain: what actually went wrong, for people to read. */
function describe(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return describe(error.cause);
  if (error instanceof ApplicationFailure || error instanceof Error) return error.message;
  return String(error);
}
