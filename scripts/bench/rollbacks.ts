// `npm run bench`, rollback: how fast a bad release is undone, blue-green and rolling, as
// `npm run bench:rollback` measures it (scripts/bench/rollback-main.ts, which prints each run's phases):
// from the first failing answer of a `+errors` build in production to the old version serving again.

import { type BenchRow, figure } from './bench-row.js';
import { measureRun, type RunFigures, type Strategy } from './rollback-run.js';
import { ROLLING_INSTANCES, startBenchStack } from './rollback-stack.js';
import { stoppedOnInterrupt } from './stopped-on-interrupt.js';

const BLUE_GREEN_GOAL_MS = 5000;

function rowsFor(strategy: Strategy, runs: RunFigures[]): BenchRow[] {
  const label = strategy === 'rolling' ? `rolling (${ROLLING_INSTANCES} instances)` : strategy;
  const seconds = (pick: (run: RunFigures) => number) => runs.map((run) => pick(run) / 1000);
  const total: BenchRow = {
    group: 'rollback',
    name: `${label}: first 5xx → old version serving`,
    unit: 's',
    runway: figure(
      'Runway',
      seconds((run) => run.firstFailureToRestoredMs),
    ),
    note: "Flagger's documented example analysis takes 600 s (interval 1m × threshold 10)",
  };
  if (strategy === 'blue-green') {
    total.target = `< ${BLUE_GREEN_GOAL_MS / 1000}`;
    total.met = total.runway.value < BLUE_GREEN_GOAL_MS / 1000;
  }
  return [
    total,
    {
      group: 'rollback',
      name: `${label}: first 5xx → bake trips`,
      unit: 's',
      runway: figure(
        'Runway',
        seconds((run) => run.firstFailureToTripMs),
      ),
    },
    {
      group: 'rollback',
      name: `${label}: trip → restored`,
      unit: 's',
      runway: figure(
        'Runway',
        seconds((run) => run.tripToRestoredMs),
      ),
    },
  ];
}

export async function measureRollbacks(options: { runs: number }): Promise<BenchRow[]> {
  const bench = await startBenchStack(true);
  return stoppedOnInterrupt(bench.stop, async () => {
    const rows: BenchRow[] = [];
    for (const strategy of ['blue-green', 'rolling'] as const) {
      const runs: RunFigures[] = [];
      for (let run = 1; run <= options.runs; run++) {
        runs.push(await measureRun(bench.stack, strategy, run));
        const last = runs.at(-1) as RunFigures;
        console.error(
          `rollback: ${strategy} run ${run}/${options.runs}: ${(last.firstFailureToRestoredMs / 1000).toFixed(2)} s`,
        );
      }
      rows.push(...rowsFor(strategy, runs));
    }
    return rows;
  });
}
