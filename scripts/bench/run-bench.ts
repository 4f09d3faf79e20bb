// `npm run bench`: Runway's performance beside bare baselines, measured side by side in one run.
// Prints one table and writes it as JSON (.runway/bench/bench-<time>.json, and --json FILE).
//
//   npm run bench -- [--only reads,starts,engine,scale,rollback] [--smoke] [--reads-rounds N] [--json FILE]
//
// --smoke runs every group small (about a minute of load in all): a check that the benchmark
// works, not figures to quote. docs/performance.md says what each row measures.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { execa } from 'execa';
import { projectRoot } from '../../stack/temporal-binaries.js';
import type { BenchRow } from './bench-row.js';
import { benchNotes, benchTable, machine } from './bench-table.js';

const GROUPS = ['reads', 'starts', 'engine', 'scale', 'rollback'] as const;
type Group = (typeof GROUPS)[number];

interface Options {
  groups: Group[];
  smoke: boolean;
  /** Rounds per read endpoint and side (a before/after comparison of the read path alone). */
  readsRounds?: number;
  json?: string;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      'reads-rounds': { type: 'string' },
      json: { type: 'string' },
    },
  });
  const groups = (values.only?.split(',') ?? [...GROUPS]).map((name) => name.trim());
  const unknown = groups.filter((name) => !(GROUPS as readonly string[]).includes(name));
  if (unknown.length > 0)
    throw new Error(`--only names ${unknown.join(', ')}; the groups are ${GROUPS.join(', ')}`);
  const readsRounds = values['reads-rounds'] === undefined ? undefined : Number(values['reads-rounds']);
  if (readsRounds !== undefined && !(Number.isInteger(readsRounds) && readsRounds >= 1))
    throw new Error(`--reads-rounds expects a whole number from 1, got ${values['reads-rounds']}`);
  return {
    groups: groups as Group[],
    smoke: values.smoke ?? false,
    ...(readsRounds ? { readsRounds } : {}),
    ...(values.json ? { json: values.json } : {}),
  };
}

/** What each group runs, full and smoke; each module is loaded only when its group runs. */
function runnerFor(group: Group, options: Options): () => Promise<BenchRow[]> {
  const { smoke } = options;
  switch (group) {
    case 'reads':
      return async () =>
        (await import('./reads.js')).measureReads({
          rounds: options.readsRounds ?? (smoke ? 1 : 3),
          seconds: smoke ? 3 : 8,
          connections: 32,
        });
    case 'starts':
      return async () => (await import('./starts.js')).measureStarts({ rounds: smoke ? 4 : 20 });
    case 'engine':
      return async () =>
        (await import('./engine-overhead.js')).measureEngineOverhead({ rounds: smoke ? 1 : 3 });
    case 'scale':
      return async () =>
        (await import('./scale.js')).measureScale(
          smoke ? { releases: 20, servers: ['dev'] } : { releases: 500, servers: ['dev', 'cluster'] },
        );
    case 'rollback':
      return async () => (await import('./rollbacks.js')).measureRollbacks({ runs: smoke ? 1 : 3 });
  }
}

async function main(): Promise<void> {
  const options = readOptions();
  // The benchmarks' own Temporal clients and workers: only errors are news.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  process.env.RUNWAY_LOG_LEVEL ??= 'error';
  const began = new Date();
  console.error('building dist/ (the API and workers run compiled, as in production)…');
  await execa('npm', ['run', '--silent', 'build:dist'], { cwd: projectRoot, stdio: 'inherit' });
  const rows: BenchRow[] = [];
  for (const group of options.groups) {
    const started = performance.now();
    console.error(`\n== ${group} ==`);
    rows.push(...(await runnerFor(group, options)()));
    console.error(`${group}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  const report = { startedAt: began.toISOString(), smoke: options.smoke, machine: machine(), rows };
  console.log(`\n${benchTable(rows)}\n\n${benchNotes(rows)}`);
  const file =
    options.json ??
    join(projectRoot, '.runway', 'bench', `bench-${began.toISOString().replaceAll(':', '-')}.json`);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nJSON: ${file}`);
  const missed = rows.filter((row) => row.met === false);
  if (missed.length > 0) console.log(`targets not met: ${missed.map((row) => row.name).join('; ')}`);
}

await main();
