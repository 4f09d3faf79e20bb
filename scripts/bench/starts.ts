// `npm run bench`, starts: how long from a POST /api/v1/releases to the release's first activity
// taken by a worker, against a bare Temporal client doing the same start work (starts-bare-client.ts
// says what it leaves out), measured alternately on one stack. Try it on its own:
//   node --import tsx scripts/bench/starts.ts --try [rounds] [--dist]
// (--dist: the compiled build, as `npm run bench` runs it; build it first with `npm run build:dist`).
import { setTimeout as delay } from 'node:timers/promises';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { closeRelease } from '../../db/release-records.js';
import { loadRunbook } from '../../runbooks/load-runbook.js';
import { testDecisionKeys } from '../../test/support/signed-decisions.js';
import { startRelease } from './bench-api.js';
import { type BenchFigure, type BenchRow, comparedRow, figure } from './bench-row.js';
import { median } from './bench-stats.js';
import { type BareStarterDeps, startBareRelease } from './starts-bare-client.js';
import { firstActivityStart } from './starts-first-activity.js';
import { addStartServices, BARE_START_SERVICE, RUNWAY_START_SERVICE } from './starts-services.js';
import { type BenchStack, runDirectly, withBenchStack } from './starts-stack.js';

const TARGET_RATIO = 1.3;
/** Starts of each kind before the measured ones: connections, caches and the JIT warm up. */
const WARM_UP_ROUNDS = 1;
/** After a release is stopped: its worker finishes what it had in hand before the next start. */
const SETTLE_MS = 300;
const REQUESTER = 'ops-wang';

interface StartTiming {
  /** From the start's first byte (POST sent, or the bare client's first call) to WorkflowExecutionStarted. */
  toWorkflowStartedMs: number;
  /** … to the first ActivityTaskStarted: the figure. */
  toFirstActivityMs: number;
  firstActivityType: string;
}

type Starter = (version: string) => Promise<string>;

/**
 * Each measured release is stopped once its first activity has run, and its record closed as the
 * reconciler closes a terminated release's: the service is free again for the next start, which
 * then takes the plain path (no lock holder to reconcile), and no release keeps the cores busy.
 */
async function stopRelease(bench: BenchStack, releaseId: string): Promise<void> {
  await bench.client.workflow.getHandle(releaseId).terminate('start benchmark: measured');
  await closeRelease(bench.pool, releaseId, 'abandoned', {
    step: 'workflow',
    reason: 'stopped by the start benchmark once its first activity had run',
  });
  await delay(SETTLE_MS);
}

async function timeStart(bench: BenchStack, start: Starter, version: string): Promise<StartTiming> {
  const sentAt = Date.now();
  const releaseId = await start(version);
  try {
    const { workflowStartedAt, firstActivityStartedAt, firstActivityType } = await firstActivityStart(
      bench.client,
      releaseId,
    );
    return {
      firstActivityType,
      toWorkflowStartedMs: workflowStartedAt - sentAt,
      toFirstActivityMs: firstActivityStartedAt - sentAt,
    };
  } finally {
    await stopRelease(bench, releaseId);
  }
}

/** Nearest rank: with 20 runs, p95 is the 19th fastest. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const p95Figure = (subject: string, runs: number[]): BenchFigure => ({
  subject,
  runs,
  value: percentile(runs, 95),
});

function startRows(runway: StartTiming[], bare: StartTiming[]): BenchRow[] {
  const runwayMs = runway.map((timing) => timing.toFirstActivityMs);
  const bareMs = bare.map((timing) => timing.toFirstActivityMs);
  const subjects = { runway: 'Runway API', bare: 'bare Temporal client' };
  const toStarted = (timings: StartTiming[]) => median(timings.map((timing) => timing.toWorkflowStartedMs));
  const activities = [...new Set([...runway, ...bare].map((timing) => timing.firstActivityType))].join(', ');
  const note = `${runway.length} starts each, alternating; median to workflow started: Runway ${toStarted(runway).toFixed(0)} ms, bare ${toStarted(bare).toFixed(0)} ms; both include asking production what runs (a driver that answers at once) and the release's start check and record claim (local activities) before its first activity task (${activities})`;
  const p50 = comparedRow({
    group: 'starts',
    name: 'POST /releases → first activity started, p50',
    unit: 'ms',
    runway: figure(subjects.runway, runwayMs),
    baseline: figure(subjects.bare, bareMs),
    target: `ratio ≤ ${TARGET_RATIO}`,
    note,
  });
  const p95 = comparedRow({
    group: 'starts',
    name: 'POST /releases → first activity started, p95',
    unit: 'ms',
    runway: p95Figure(subjects.runway, runwayMs),
    baseline: p95Figure(subjects.bare, bareMs),
    note: 'the value is the 95th percentile (nearest rank) of the runs, not their median',
  });
  return [{ ...p50, met: (p50.ratio ?? Number.POSITIVE_INFINITY) <= TARGET_RATIO }, p95];
}

/** `sources`: run the API and worker from the TypeScript sources instead of dist/ (trying it out). */
export async function measureStarts(options: { rounds: number; sources?: boolean }): Promise<BenchRow[]> {
  const stackOptions = { editConfig: addStartServices, compiled: !options.sources };
  return withBenchStack(stackOptions, async (bench) => {
    const deps: BareStarterDeps = {
      client: bench.client,
      pool: bench.pool,
      config: bench.stack.config,
      decisionKeys: testDecisionKeys,
      runbook: await loadRunbook('regular'),
      requestedBy: REQUESTER,
    };
    const starters: Record<'runway' | 'bare', Starter> = {
      runway: (version) =>
        startRelease(bench.stack, REQUESTER, { type: 'regular', service: RUNWAY_START_SERVICE, version }),
      bare: (version) => startBareRelease(deps, BARE_START_SERVICE, version),
    };
    const timings: Record<'runway' | 'bare', StartTiming[]> = { runway: [], bare: [] };
    for (let round = 0; round < WARM_UP_ROUNDS + options.rounds; round++) {
      // Each above the last, all above what production runs (R-SEMVER); the services never deploy.
      const version = `2.${round}.0`;
      // Who goes first alternates, so neither side always follows the other's stopped release.
      const order = round % 2 === 0 ? (['runway', 'bare'] as const) : (['bare', 'runway'] as const);
      for (const side of order) {
        const timing = await timeStart(bench, starters[side], version);
        if (round >= WARM_UP_ROUNDS) timings[side].push(timing);
      }
    }
    return startRows(timings.runway, timings.bare);
  });
}

if (runDirectly(import.meta.url) && process.argv.includes('--try')) {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const rounds = Number(process.argv[process.argv.indexOf('--try') + 1] ?? 3) || 3;
  const rows = await measureStarts({ rounds, sources: !process.argv.includes('--dist') });
  console.log(JSON.stringify(rows, null, 2));
}
