// A release as the runway command shows it: a frame (status and every step, redrawn in place on a
// terminal) and facts (one line per change, for logs and pipes). Both read only the release view
// GET /api/v1/releases/{id} answers, every string of it made printable first (output.ts).
import type { Release } from './api-types.js';
import { formatDuration } from './durations.js';
import { type Palette, printableStrings } from './output.js';

type PlanStep = Release['plan']['steps'][number];
type StepRecord = Release['steps'][number];
type RosterEntry = { identity: string; roles: string[] };
type BakeStep = Extract<PlanStep, { kind: 'bake' }>;
type LiveBake = NonNullable<Release['live']>;
type LiveCheck = LiveBake['checks'][number];

const STEP_ICONS: Record<StepRecord['status'] | 'pending', string> = {
  running: '▶',
  succeeded: '✓',
  failed: '✗',
  skipped: '-',
  compensated: '↺',
  pending: '·',
};

export function statusPaint(status: string, paint: Palette): (text: string) => string {
  if (status === 'succeeded' || status === 'awaiting-docs') return paint.green;
  if (['failed', 'rolled-back', 'rolling-back', 'abandoned'].includes(status)) return paint.red;
  if (['rejected', 'cancelled', 'expired', 'superseded'].includes(status)) return paint.yellow;
  if (status === 'running') return paint.cyan;
  return paint.yellow;
}

/** The last record of each step id: a retried step is shown as it is now. */
function latestRecords(release: Release): Map<string, StepRecord> {
  const byId = new Map<string, StepRecord>();
  for (const record of release.steps) byId.set(record.id, record);
  return byId;
}

/** Who may fill a seat at the gate `step` opens, frozen at start. */
function rosterOf(step: PlanStep): RosterEntry[] {
  if (step.kind === 'approval' || step.kind === 'confirm') return step.roster;
  if (step.kind === 'window') return step.override.roster;
  return [];
}

/** "tech-lead (tl-zhang); approved by pm-li (pm)": the seats missing and who could fill them. */
export function gateText(release: Release, step: PlanStep): string | undefined {
  const gate = release.pendingGate;
  if (!gate || gate.gateId !== step.id) return undefined;
  const decided = new Set(gate.approvals.map((approval) => approval.approver));
  const candidates = (seat: string) =>
    rosterOf(step)
      .filter(
        (entry) =>
          entry.roles.includes(seat) &&
          !decided.has(entry.identity) &&
          entry.identity !== release.requestedBy,
      )
      .map((entry) => entry.identity);
  const missing = gate.missing.map((seat) => {
    const who = candidates(seat);
    return who.length ? `${seat} (${who.join(', ')})` : seat;
  });
  const approved = gate.approvals.map((approval) => `${approval.approver} (${approval.seat})`);
  const waits = missing.length ? `waits for ${missing.join(', ')}` : 'every seat is filled';
  return approved.length ? `${waits}; approved by ${approved.join(', ')}` : waits;
}

function windowText(release: Release): string | undefined {
  const window = release.waitingWindow;
  if (!window) return undefined;
  const until = window.until ? `until ${window.until}` : 'for the calendar';
  return `waits for the release window ${until}: ${window.reason}`;
}

function percent(value: number): string {
  return `${value} %`;
}

/** What a bake watches for: the plan's thresholds and the baseline it measured. */
function bakeRules(release: Release, step: BakeStep): string {
  const { thresholds } = step;
  const baseline = baselineP95(release, step);
  const rules = [
    `health fails ${thresholds.healthConsecutiveFailures}× in a row`,
    `errors pass ${percent(thresholds.errorRatePercent)}`,
    ...(step.baselineStepId
      ? [`p95 passes ${percent(thresholds.p95PercentOfBaseline)} of the baseline`]
      : []),
  ];
  const measured = baseline === undefined ? '' : ` (baseline p95 ${Math.round(baseline)} ms)`;
  return `rolls back if ${rules.join(', ')}${measured}`;
}

/** A finished step's own summary (a bake's verdict, a check's result), when it gives one. */
function detailSummary(record: StepRecord): string | undefined {
  const summary = record.detail?.summary;
  return typeof summary === 'string' && summary ? summary : undefined;
}

/** A live report older than this says how old it is: the bake's worker may be gone. */
const STALE_LIVE_MS = 10_000;

const CHECK_LABELS: Record<LiveCheck['trigger'], string> = {
  health: 'health',
  'error-rate': 'error rate',
  'latency-p95': 'p95',
};

/** The p95 the baseline step measured before the deploy, when there is one. */
function baselineP95(release: Release, step: BakeStep): number | undefined {
  const p95 = step.baselineStepId
    ? latestRecords(release).get(step.baselineStepId)?.detail?.p95Ms
    : undefined;
  return typeof p95 === 'number' ? p95 : undefined;
}

/** One trigger as the latest judgement found it: "error rate 0.0 % (0 of 312)". */
function liveCheckText(check: LiveCheck, live: LiveBake, baseline: number | undefined): string {
  const label = CHECK_LABELS[check.trigger];
  if (check.outcome === 'no-verdict') return `${label} not judged`;
  const tripped = check.outcome === 'tripped' ? ' tripped' : '';
  switch (check.unit) {
    case 'failures':
      return check.measured === 0
        ? `${label} ok`
        : `${label} ${check.measured} failed in a row (trips at ${check.threshold})${tripped}`;
    case 'percent': {
      const traffic = live.traffic;
      const counts = traffic ? ` (${Math.round(traffic.errors)} of ${Math.round(traffic.requests)})` : '';
      return `${label} ${check.measured.toFixed(1)} %${counts}${tripped}`;
    }
    case 'ms': {
      const against =
        baseline === undefined
          ? `trips above ${Math.round(check.threshold)} ms`
          : `baseline ${Math.round(baseline)} ms`;
      return `${label} ${Math.round(check.measured)} ms (${against})${tripped}`;
    }
  }
}

/** The bake's latest judgement with its figures, once it has judged; undefined before. */
function liveBakeText(release: Release, step: BakeStep, now: number): string | undefined {
  const live = release.live;
  if (!live || live.step !== step.id || live.verdict === null) return undefined;
  const baseline = baselineP95(release, step);
  const age = now - Date.parse(live.updatedAt);
  return [
    live.verdict,
    ...live.checks.map((check) => liveCheckText(check, live, baseline)),
    ...(age > STALE_LIVE_MS ? [`reported ${formatDuration(age)} ago`] : []),
  ].join(' · ');
}

/** A bake under way: how long of how long, then its live figures, or until it has judged, what trips it. */
function bakingText(release: Release, step: BakeStep, record: StepRecord, now: number): string {
  const baking = `baking ${formatDuration(now - Date.parse(record.startedAt))} of ${formatDuration(step.durationMs)}`;
  const live = liveBakeText(release, step, now);
  return live ? `${baking} · ${live}` : `${baking}; ${bakeRules(release, step)}`;
}

/** What a running step is doing, beyond its elapsed time. */
function runningText(release: Release, step: PlanStep, record: StepRecord, now: number | undefined): string {
  const gate = gateText(release, step);
  if (gate) return gate;
  if (step.kind === 'window' && release.waitingWindow) return windowText(release) ?? '';
  if (step.kind === 'bake') {
    if (now !== undefined) return bakingText(release, step, record, now);
    return `baking ${formatDuration(step.durationMs)}; ${bakeRules(release, step)}`;
  }
  return '';
}

/** The verdict a running bake has reached, as a fact: printed again only when it changes. */
function bakeVerdictFact(release: Release, record: StepRecord): string | undefined {
  const verdict = release.live?.step === record.id ? release.live.verdict : null;
  return verdict ? `${record.id} judged ${verdict} so far` : undefined;
}

/** Lines about the release as a whole: a decision it waits for, why it failed or rolled back. */
function releaseNotes(release: Release): string[] {
  const notes: string[] = [];
  const decision = release.pendingDecision;
  if (decision) {
    notes.push(
      `waits for a decision on ${decision.subject} (${decision.environment}): ${decision.reason}`,
      `  answer with: runway decide ${release.id} ${decision.options.join('|')} --reason "…"`,
    );
  }
  const order = release.pendingRollbackOrder;
  if (order) {
    notes.push(
      `rollback ordered by ${order.requestedBy} (${order.reason}); a second person with deploy in ${order.environment} must order it too`,
    );
  }
  if (release.status === 'waiting-window' && !release.plan.steps.some((step) => step.kind === 'window')) {
    const text = windowText(release);
    if (text) notes.push(text);
  }
  const rollback = release.rollback;
  // A rolled-back release's failure repeats the rollback's reason; the rollback line says more.
  if (release.failure && !rollback) {
    const verb = release.status === 'failed' ? 'failed' : 'stopped';
    notes.push(`${verb} at ${release.failure.step}: ${release.failure.reason}`);
  }
  if (rollback) {
    const by = rollback.orderedBy.length ? ` by ${rollback.orderedBy.join(', ')}` : '';
    notes.push(`rollback (${rollback.cause}${by}): ${rollback.automatic?.summary ?? rollback.reason}`);
  }
  if (release.supersededBy) notes.push(`superseded by ${release.supersededBy}`);
  if (release.postHoc && !release.postHoc.attached) {
    notes.push(
      `owes its ${release.postHoc.duty} since ${release.postHoc.owedSince}: POST /releases/${release.id}/postmortem`,
    );
  }
  return notes;
}

function compensationLines(release: Release): string[] {
  return release.rollbackPlan
    .filter((compensation) => compensation.startedAt !== null)
    .map((compensation) => {
      const took = compensation.durationMs === null ? '' : ` in ${formatDuration(compensation.durationMs)}`;
      return `undo ${compensation.description}: ${compensation.status}${took}`;
    });
}

/** From its start to its end, or to `now` while it runs. */
export function releaseElapsed(release: Release, now: number): number {
  const end = release.finishedAt ? Date.parse(release.finishedAt) : now;
  return end - Date.parse(release.createdAt);
}

function headline(release: Release, paint: Palette): string {
  return `${paint.bold(`${release.service} ${release.version}`)} ${release.type}  ${release.id}`;
}

/** A frame in its parts, so that a terminal too short for it can keep the header, the step under way and the notes. */
export interface ReleaseFrame {
  header: string[];
  /** One line per plan step, in plan order. */
  steps: string[];
  /** The index in `steps` of the step the release is at (the last one that started). */
  current: number;
  /** Undos that ran, then what the release waits for or why it ended. */
  notes: string[];
}

/** The plan step the release last started, as an index into the plan (0 before any). */
function currentStepIndex(release: Release): number {
  for (const record of [...release.steps].reverse()) {
    const index = release.plan.steps.findIndex((step) => step.id === record.id);
    if (index >= 0) return index;
  }
  return 0;
}

/** The whole release, step by step, in its parts: what a watch redraws on a terminal. */
export function releaseFrameParts(view: Release, now: number, paint: Palette): ReleaseFrame {
  const release = printableStrings(view);
  const records = latestRecords(release);
  const status = statusPaint(release.status, paint)(release.status);
  const header = [
    headline(release, paint),
    `status ${status}   elapsed ${formatDuration(releaseElapsed(release, now))}   requested by ${release.requestedBy}${release.changeRef ? `   ${release.changeRef}` : ''}`,
  ];
  const steps: string[] = [];
  const idWidth = Math.max(...release.plan.steps.map((step) => step.id.length), 4);
  const envWidth = Math.max(...release.plan.steps.map((step) => step.environment.length), 4);
  for (const step of release.plan.steps) {
    const record = records.get(step.id);
    const state = record?.status ?? 'pending';
    const icon = STEP_ICONS[state];
    const painted =
      state === 'succeeded'
        ? paint.green(icon)
        : state === 'failed'
          ? paint.red(icon)
          : state === 'running'
            ? paint.cyan(icon)
            : paint.dim(icon);
    const time = record
      ? formatDuration(record.durationMs ?? (record.finishedAt ? 0 : now - Date.parse(record.startedAt)))
      : '';
    const text = !record
      ? ''
      : record.status === 'running'
        ? runningText(release, step, record, now)
        : (record.error ?? detailSummary(record) ?? '');
    const cells = `${step.id.padEnd(idWidth)}  ${step.environment.padEnd(envWidth)}  ${time.padEnd(7)}  ${text}`;
    steps.push(`  ${painted} ${record ? cells : paint.dim(cells)}`.trimEnd());
  }
  const notes = [...compensationLines(release).map((line) => `  ↺ ${line}`), ...releaseNotes(release)];
  return { header, steps, current: currentStepIndex(release), notes };
}

/** The whole release, step by step: what `runway status <id>` prints. */
export function releaseFrame(release: Release, now: number, paint: Palette): string[] {
  const frame = releaseFrameParts(release, now, paint);
  return [...frame.header, ...frame.steps, ...frame.notes];
}

/**
 * The release as separate facts, none of which changes while it stays true (no live clock): a
 * watch without a terminal prints each fact the first time it sees it, one line per change.
 */
export function releaseFacts(view: Release): string[] {
  const release = printableStrings(view);
  const facts: string[] = [];
  const plan = new Map(release.plan.steps.map((step) => [step.id, step]));
  for (const record of release.steps) {
    const step = plan.get(record.id);
    facts.push(`${record.id} (${record.environment}) started`);
    if (record.status === 'running') {
      const text = step ? runningText(release, step, record, undefined) : '';
      if (text) facts.push(`${record.id} ${text}`);
      const verdict = bakeVerdictFact(release, record);
      if (verdict) facts.push(verdict);
      continue;
    }
    const took = record.durationMs === null ? '' : ` in ${formatDuration(record.durationMs)}`;
    const why = record.error ?? detailSummary(record);
    facts.push(`${record.id} ${record.status}${took}${why ? `: ${why}` : ''}`);
  }
  facts.push(...compensationLines(release), ...releaseNotes(release), `status ${release.status}`);
  return facts;
}

/** The last line of a watch: how the release ended. */
export function outcomeLine(view: Release, now: number, paint: Palette): string {
  const release = printableStrings(view);
  const status = statusPaint(release.status, paint)(release.status);
  return `${release.service} ${release.version} ${status} after ${formatDuration(releaseElapsed(release, now))} (${release.id})`;
}
