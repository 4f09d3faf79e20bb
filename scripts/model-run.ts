// `npm run test:model`: the model check of the release rules at length (default 300 scenarios), with
// progress; one failing scenario again with `-- --seed S --path P` (what a failure prints); or a
// survey, `-- --survey N`, that runs N scenarios of seeds S, S+1, … without stopping and says which
// invariants broke under which seed (each re-runs alone with `-- --seed X --runs 1`).
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { checkModel } from '../test/model/model-check.js';
import { startModelHarness } from '../test/model/model-harness.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '300' },
    seed: { type: 'string' },
    path: { type: 'string' },
    survey: { type: 'string' },
    'no-shrink': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
});

// Refused starts and ended releases are the point here: the SDK's warnings about them are noise.
Runtime.install({ logger: new DefaultLogger('ERROR') });
const harness = await startModelHarness();
const started = Date.now();
const progress = (index: number, ms: number, violations: number, trace: string[]) => {
  process.stdout.write(`scenario ${index}: ${ms} ms${violations ? `, ${violations} violation(s)` : ''}\n`);
  if (values.verbose) process.stdout.write(`${trace.map((line) => `    ${line}`).join('\n')}\n`);
};

async function survey(count: number, base: number): Promise<number> {
  const seen = new Map<string, number[]>();
  for (let index = 0; index < count; index++) {
    const seed = base + index;
    const began = Date.now();
    try {
      await checkModel(harness, { numRuns: 1, seed, noShrink: true });
      process.stdout.write(`seed ${seed}: ok (${Date.now() - began} ms)\n`);
    } catch (error) {
      const kinds = [...String((error as Error).message).matchAll(/^\s+- \[(\w+)\]/gm)].map(
        (match) => match[1] as string,
      );
      process.stdout.write(`seed ${seed}: ${[...new Set(kinds)].join(', ')}\n`);
      for (const kind of new Set(kinds)) seen.set(kind, [...(seen.get(kind) ?? []), seed]);
    }
  }
  console.log('\ninvariants broken, with the seeds that broke them:');
  for (const [kind, seeds] of seen) console.log(`  ${kind}: ${seeds.join(', ')}`);
  return seen.size === 0 ? 0 : 1;
}

let code = 0;
try {
  if (values.survey) {
    code = await survey(Number(values.survey), Number(values.seed ?? Date.now() % 1_000_000));
  } else {
    await checkModel(harness, {
      numRuns: values.path ? 1 : Number(values.runs),
      ...(values.seed ? { seed: Number(values.seed) } : {}),
      ...(values.path ? { path: values.path } : {}),
      noShrink: values['no-shrink'],
      onScenario: progress,
    });
    console.log(`model check passed in ${Math.round((Date.now() - started) / 1000)} s`);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  code = 1;
} finally {
  await harness.stop();
}
process.exit(code);
