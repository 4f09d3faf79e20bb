// `npm run fuzz`: schemathesis against a real stack, at least 10,000 cases (see scripts/fuzz-run.ts).
//
//   npm run fuzz -- [--max-examples N] [--decision-examples N] [--min-cases N] [--seed S] [--steer 0..1] [--workers N] [--wait-budget S] [--keep DIR]
//
// --keep keeps schemathesis's reports (HAR of every request, JSON, JUnit) and its output in DIR.
import { parseArgs } from 'node:util';
import { runApiFuzz } from './fuzz-run.js';
import { FuzzToolMissing } from './fuzz-tools.js';

/** Enough cases per operation and phase that the whole run passes 10,000 cases. */
export const FULL_RUN = {
  maxExamples: 2000,
  decisionExamples: 200,
  minCases: 10_000,
  waitBudgetSeconds: 240,
};

const { values } = parseArgs({
  options: {
    'max-examples': { type: 'string' },
    'decision-examples': { type: 'string' },
    'min-cases': { type: 'string' },
    seed: { type: 'string' },
    steer: { type: 'string' },
    workers: { type: 'string' },
    'wait-budget': { type: 'string' },
    keep: { type: 'string' },
    quiet: { type: 'boolean' },
  },
});

function numberOption(name: keyof typeof values, fallback: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} expects a number, got ${raw}`);
  return value;
}

try {
  const outcome = await runApiFuzz({
    maxExamples: numberOption('max-examples', FULL_RUN.maxExamples),
    decisionExamples: numberOption('decision-examples', FULL_RUN.decisionExamples),
    minCases: numberOption('min-cases', FULL_RUN.minCases),
    steer: numberOption('steer', 0.5),
    workers: numberOption('workers', 1),
    waitBudgetSeconds: numberOption('wait-budget', FULL_RUN.waitBudgetSeconds),
    ...(values.seed ? { seed: values.seed } : {}),
    ...(values.keep ? { artifactsDir: values.keep } : {}),
    log: (line) => console.log(line),
    echo: !values.quiet,
  });
  console.log(`\n${outcome.summary}`);
  process.exitCode = outcome.ok ? 0 : 1;
} catch (error) {
  console.error(error instanceof FuzzToolMissing ? `npm run fuzz: ${error.message}` : error);
  process.exitCode = 1;
}
