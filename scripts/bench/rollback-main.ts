// `npm run bench:rollback`: how fast a bad release is undone. Releases a `+errors` build of the demo service
// to production on a real stack, lets the bake (default probe settings) trip, and times from the
// first failing answer to traffic on the old version: through the proxy for blue-green (edm-web),
// on every one of four instances for rolling (edm-sender).
//
//   npm run bench:rollback -- [--runs N] [--strategy blue-green|rolling|both]
import type { ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { DEFAULT_BAKE_PROBE_SETTINGS } from '../../analysis/thresholds.js';
import { formatTable, median, seconds, spreadOf } from './bench-stats.js';
import type { RestorePhases } from './rollback-instance-timeline.js';
import { measureProcessCosts, type ProcessCosts } from './rollback-restore-costs.js';
import { measureRun, type RunFigures, type Strategy } from './rollback-run.js';
import {
  type BenchStack,
  ERROR_SHARE,
  FAULT_AFTER_MS,
  ROLLING_INSTANCES,
  startBenchStack,
} from './rollback-stack.js';

/** Flagger's documented example analysis: interval 1m × threshold 10 before it rolls back. */
const FLAGGER_EXAMPLE_MS = 10 * 60 * 1000;
const BLUE_GREEN_GOAL_MS = 5000;

function readOptions(): { runs: number; strategies: Strategy[] } {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '5' }, strategy: { type: 'string', default: 'both' } },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`--runs expects a whole number from 1, got ${values.runs}`);
  const chosen: Record<string, Strategy[]> = {
    'blue-green': ['blue-green'],
    rolling: ['rolling'],
    both: ['blue-green', 'rolling'],
  };
  const strategies = chosen[values.strategy ?? 'both'];
  if (!strategies) throw new Error(`--strategy expects blue-green, rolling or both, got ${values.strategy}`);
  return { runs, strategies };
}

/** Everything this process started, stopped once, whether it ends normally, by error or by Ctrl-C. */
const cleanup = {
  bench: undefined as BenchStack | undefined,
  children: new Set<ChildProcess>(),
  stopping: undefined as Promise<void> | undefined,
  track(child: ChildProcess) {
    cleanup.children.add(child);
    return () => cleanup.children.delete(child);
  },
  stop(): Promise<void> {
    cleanup.stopping ??= (async () => {
      for (const child of cleanup.children) child.kill('SIGKILL');
      await cleanup.bench?.stop().catch((error: unknown) => console.error('stopping the stack:', error));
    })();
    return cleanup.stopping;
  },
};

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the stack…`);
    void cleanup.stop().finally(() => process.exit(130));
  });
}

const label = (strategy: Strategy) =>
  strategy === 'rolling' ? `rolling (${ROLLING_INSTANCES} instances)` : strategy;

function summaryTable(results: Map<Strategy, RunFigures[]>): string {
  const rows = [...results].map(([strategy, runs]) => {
    const spread = spreadOf(runs.map((run) => run.firstFailureToRestoredMs));
    return [
      label(strategy),
      String(runs.length),
      seconds(spread.median),
      seconds(spread.max),
      seconds(spread.min),
      runs.map((run) => (run.firstFailureToRestoredMs / 1000).toFixed(2)).join(' '),
      `${Math.round(FLAGGER_EXAMPLE_MS / spread.median)}×`,
    ];
  });
  return formatTable(['strategy', 'runs', 'median', 'max', 'min', 'per run (s)', 'vs 600 s'], rows);
}

function detailTable(results: Map<Strategy, RunFigures[]>): string {
  const rows = [...results.values()]
    .flat()
    .map((run) => [
      run.strategy,
      String(run.run),
      run.version,
      seconds(run.firstFailureToRestoredMs),
      seconds(run.firstFailureToTripMs),
      seconds(run.tripToRestoredMs),
      run.viaProxyMs === undefined ? '' : seconds(run.viaProxyMs),
      run.rollbackDurationMs === null ? '—' : seconds(run.rollbackDurationMs),
      run.trigger,
    ]);
  return formatTable(
    [
      'strategy',
      'run',
      'version',
      '5xx→restored',
      '5xx→trip',
      'trip→restored',
      'proxy clean',
      'rollback.durationMs',
      'trigger',
    ],
    rows,
  );
}

function medianOf(
  results: Map<Strategy, RunFigures[]>,
  strategy: Strategy,
  pick: (run: RunFigures) => number,
) {
  return median((results.get(strategy) ?? []).map(pick));
}

function verdicts(results: Map<Strategy, RunFigures[]>): string[] {
  const lines: string[] = [];
  for (const strategy of results.keys()) {
    const value = medianOf(results, strategy, (run) => run.firstFailureToRestoredMs);
    const max = Math.max(...(results.get(strategy) ?? []).map((run) => run.firstFailureToRestoredMs));
    const ratio = Math.round(FLAGGER_EXAMPLE_MS / value);
    lines.push(
      `${label(strategy)}: median ${seconds(value)}, max ${seconds(max)} from the first failing answer to the old version back — about ${ratio} times faster than Flagger's documented example analysis (interval 1m × threshold 10 = 600 s).`,
    );
    lines.push(
      `  of which: first failing answer → trip ${seconds(medianOf(results, strategy, (run) => run.firstFailureToTripMs))}, trip → restored ${seconds(medianOf(results, strategy, (run) => run.tripToRestoredMs))} (medians).`,
    );
    if (strategy === 'blue-green') {
      const met =
        max < BLUE_GREEN_GOAL_MS
          ? 'met by every run'
          : value < BLUE_GREEN_GOAL_MS
            ? 'met by the median, not by every run'
            : 'NOT met';
      lines.push(`  goal: blue-green under ${BLUE_GREEN_GOAL_MS / 1000} s — ${met}.`);
      const switches = (results.get(strategy) ?? []).flatMap((run) =>
        run.compensations.filter((entry) => entry.kind === 'switch-traffic-back'),
      );
      lines.push(
        `  the switch-back compensation, start to end (one edm-ctl switch process, then the record write): ${seconds(median(switches.map((entry) => entry.finishedAt - entry.startedAt)))} median.`,
      );
    }
  }
  return lines;
}

function restoreBreakdown(runs: RunFigures[], costs: ProcessCosts): string[] {
  const phases = runs.flatMap((run) => run.restores);
  const of = (pick: (phase: RestorePhases) => number) => seconds(median(phases.map(pick)));
  return [
    `Rolling: trip → first restore starts ${seconds(median(runs.map((run) => run.tripToFirstCompensationMs)))}; then ${ROLLING_INSTANCES} restores one after the other, newest first.`,
    `Per restored instance (median of ${phases.length}, each instance watched on its own port every 50 ms): ${of((phase) => phase.totalMs)}`,
    `  compensation start → old process stops answering (record write, activity, edm-ctl update process start): ${of((phase) => phase.untilStoppedMs)}`,
    `  → restored process answers (a new edm-sender process started): ${of((phase) => phase.startingMs)}`,
    `  → compensation end (update command exits, edm-ctl check-instance process, record write): ${of((phase) => phase.afterMs)}`,
    `  alone, after the runs: one edm-ctl process (node demo/dist/edm-ctl.mjs) ${seconds(costs.edmCtlMs)}; an edm-sender start until /health answers ${seconds(costs.senderStartMs)}; its stop ${seconds(costs.senderStopMs)}`,
    `  so a restore is three process starts in a row (update command, instance, check command); ${ROLLING_INSTANCES} of them make most of trip → restored.`,
  ];
}

/** The figures are wall-clock times of process starts: on a busy machine they grow with the load. */
const machineLoad = () =>
  `${cpus().length} cores, load average ${loadavg()
    .map((load) => load.toFixed(1))
    .join(' ')} (1, 5, 15 min)`;

async function main(): Promise<void> {
  const { runs, strategies } = readOptions();
  // The rollbacks measured here fail activities and workflows on purpose: only errors are news.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const { intervalMs, judgeWindowSeconds } = DEFAULT_BAKE_PROBE_SETTINGS;
  console.log(
    `rollback benchmark: ${runs} run(s) each of ${strategies.join(', ')}; probe interval ${intervalMs} ms, judge window ${judgeWindowSeconds} s (defaults); +errors builds fail ${ERROR_SHARE * 100} % of requests ${FAULT_AFTER_MS} ms after taking traffic`,
  );
  const began = performance.now();
  cleanup.bench = await startBenchStack(strategies.includes('rolling'));
  console.log(`stack up in ${seconds(performance.now() - began)}; ${machineLoad()}`);
  const results = new Map<Strategy, RunFigures[]>();
  for (const strategy of strategies) {
    const figures: RunFigures[] = [];
    results.set(strategy, figures);
    for (let run = 1; run <= runs; run++) {
      const result = await measureRun(cleanup.bench.stack, strategy, run);
      figures.push(result);
      console.log(
        `${label(strategy)} run ${run}: ${seconds(result.firstFailureToRestoredMs)} (5xx→trip ${seconds(result.firstFailureToTripMs)}, trip→restored ${seconds(result.tripToRestoredMs)}; ${result.trigger})`,
      );
    }
  }
  console.log(`\n${summaryTable(results)}\n\n${detailTable(results)}\n`);
  for (const line of verdicts(results)) console.log(line);
  const rolling = results.get('rolling');
  if (rolling) {
    const costs = await measureProcessCosts(cleanup.bench.stack.demo.controlUrl, cleanup.track);
    console.log(`\n${restoreBreakdown(rolling, costs).join('\n')}`);
  }
  console.log(`\nbenchmark took ${seconds(performance.now() - began)}; ${machineLoad()}`);
}

try {
  await main();
} catch (error) {
  // After Ctrl-C the stack is going away under the run: its errors say nothing new.
  if (!cleanup.stopping) console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await cleanup.stop();
}
