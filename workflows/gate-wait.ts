// Waiting at a gate (an approval, a manual confirmation, a guided failure's decision): the one place
// that escalates a wait nobody answers (R-ESCALATE) and ends one that waits past its lifetime
// (R-EXPIRE), so every gate behaves alike.
import { condition } from '@temporalio/workflow';
import { markdownText } from './markdown-text.js';
import { raiseInBackground } from './oversight-alerts.js';
import { sleepUnless, spokenDuration } from './oversight-timers.js';
import type { AlertLevel, EscalationLadder, EscalationStep, ReleaseOversight } from './release-model.js';
import type { StepContext } from './steps/step-context.js';

export interface WaitingGate {
  gateId: string;
  /** What waits, in words: "Change approval (PM and tech lead)". */
  name: string;
  environment: string;
  /** Who or what it waits for: "pm and tech-lead". */
  waitingFor: string;
  /**
   * The level of its escalation notices: P2 (the default) for approvals and confirmations, which
   * hold a release back; P1 for a guided failure's decision, where something already went wrong.
   */
  escalationLevel?: AlertLevel;
}

/** The gate waited past its lifetime: the release ends `expired`. */
export class GateExpired extends Error {
  override name = 'GateExpired';
}

/**
 * Waits until `answered()` is true. Plans with oversight escalate meanwhile and throw GateExpired once
 * the gate's lifetime has passed; plans without it wait as before.
 */
export async function waitAtGate(
  context: StepContext,
  gate: WaitingGate,
  answered: () => boolean,
): Promise<void> {
  const oversight = context.input.plan.oversight;
  if (!oversight) {
    await condition(answered);
    return;
  }
  await waitWatched(context, gate, answered, oversight);
}

async function waitWatched(
  context: StepContext,
  gate: WaitingGate,
  answered: () => boolean,
  oversight: ReleaseOversight,
): Promise<void> {
  const openedAt = Date.now();
  const expiresAt = openedAt + oversight.gateLifetimeMs;
  const notices = escalationSchedule(oversight.escalation);
  let notice = notices.next().value;
  for (;;) {
    if (answered()) return;
    if (Date.now() >= expiresAt) {
      throw new GateExpired(
        `${gate.name} waited ${spokenDuration(oversight.gateLifetimeMs)} without an answer from ${gate.waitingFor}: the gate expired`,
      );
    }
    if (notice && openedAt + notice.afterMs <= Date.now()) {
      await escalate(context, gate, notice, Date.now() - openedAt);
      notice = notices.next().value;
      continue;
    }
    const noticeAt = notice ? openedAt + notice.afterMs : Number.POSITIVE_INFINITY;
    const summary =
      noticeAt < expiresAt
        ? `escalate ${gate.gateId} to ${notice?.level} if still unanswered`
        : `${gate.gateId} expires if still unanswered`;
    if (await sleepUnless(Math.min(noticeAt, expiresAt), summary, answered)) return;
  }
}

/**
 * The ladder's notices in order, each `afterMs` from the gate's opening: every level once, then the
 * last level again every `repeatEveryMs` (the gate's expiry ends the wait).
 */
export function* escalationSchedule(ladder: EscalationLadder): Generator<EscalationStep, void> {
  const levels = [...ladder.levels].sort((a, b) => a.afterMs - b.afterMs);
  yield* levels;
  const last = levels.at(-1);
  if (!last || ladder.repeatEveryMs <= 0) return;
  for (let repeat = 1; ; repeat++) yield { ...last, afterMs: last.afterMs + repeat * ladder.repeatEveryMs };
}

async function escalate(
  context: StepContext,
  gate: WaitingGate,
  notice: EscalationStep,
  waitedMs: number,
): Promise<void> {
  const { state, input } = context;
  const escalations = state.escalations ?? [];
  state.escalations = escalations;
  escalations.push({
    gateId: gate.gateId,
    environment: gate.environment,
    level: notice.level,
    roster: [...notice.roster],
    at: new Date().toISOString(),
  });
  const waited = waitedMs === 0 ? 'is waiting' : `has waited ${spokenDuration(waitedMs)}`;
  raiseInBackground(context, {
    key: `escalation:${escalations.length}`,
    level: gate.escalationLevel ?? 'P2',
    kind: 'escalation',
    stepId: gate.gateId,
    environment: gate.environment,
    audience: [...notice.roster],
    message: `${input.service} ${input.version}: ${gate.name} (${gate.environment}) ${waited} for ${gate.waitingFor}; escalated to ${notice.level}: ${notice.roster.join(', ')}`,
    details: { escalationLevel: notice.level, waitedMs },
  });
  // The record shows who was told; a refused write must not end the release over a notice.
  await context.records.write(`${markdownText(gate.gateId, 64)} escalated to ${notice.level}`, {
    failsStep: false,
  });
}
