// What watches over a release, frozen at start (R-SLA, R-EXPIRE, R-ESCALATE, R-POSTHOC): its SLA,
// how long a gate may wait, who is told when nobody answers, and what it owes afterwards.
import type { RunwayConfig } from '../config/config-schema.js';
import type {
  EscalationLadder,
  PlanStep,
  PostHocDuty,
  ReleaseOversight,
  ReleaseType,
} from '../workflows/release-model.js';

const MINUTE_MS = 60_000;
/** Hotfix releases owe their documentation, emergencies their incident review (SPEC 2). */
const POST_HOC: Partial<Record<ReleaseType, PostHocDuty>> = {
  hotfix: 'documentation',
  emergency: 'incident-review',
};

export function resolveOversight(
  config: RunwayConfig,
  type: ReleaseType,
  _steps: PlanStep[],
): ReleaseOversight {
  const { releases } = config.settings;
  const sla = type === 'hotfix' || type === 'emergency' ? releases.sla[type] : undefined;
  const duty = POST_HOC[type];
  return {
    ...(sla ? { sla: { limitMs: sla.minutes * MINUTE_MS, level: sla.level } } : {}),
    gateLifetimeMs: releases.gateLifetimeMinutes[type] * MINUTE_MS,
    escalation: escalationLadder(config),
    ...(duty ? { postHoc: { duty, reminderEveryMs: releases.postHoc.reminderHours * 60 * MINUTE_MS } } : {}),
  };
}

/**
 * L1 at once, L2 after L1's response time, L3 after L2's more; then L3 again every L3 response time.
 * Without an `escalation` section nobody is escalated to (the gate's own alerts still go out).
 */
export function escalationLadder(config: RunwayConfig): EscalationLadder {
  const levels = config.settings.escalation;
  if (!levels) return { levels: [], repeatEveryMs: 60 * MINUTE_MS };
  return {
    levels: [
      { level: 'L1', afterMs: 0, roster: [...levels.L1.roster] },
      { level: 'L2', afterMs: levels.L1.responseMinutes * MINUTE_MS, roster: [...levels.L2.roster] },
      {
        level: 'L3',
        afterMs: (levels.L1.responseMinutes + levels.L2.responseMinutes) * MINUTE_MS,
        roster: [...levels.L3.roster],
      },
    ],
    repeatEveryMs: levels.L3.responseMinutes * MINUTE_MS,
  };
}
