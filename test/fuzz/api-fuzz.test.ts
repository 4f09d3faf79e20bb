// The short fuzz run of `npm test`: the same run as `npm run fuzz` (scripts/fuzz-run.ts) with a
// budget of a few hundred cases, held to the same verdict. It fails, never skips, when schemathesis
// is missing: npm install puts it in .runway/tools (scripts/install-fuzz-tools.mjs).
import { describe, expect, it } from 'vitest';
import { runApiFuzz } from '../../scripts/fuzz-run.js';

const SHORT_RUN = { maxExamples: 30, decisionExamples: 15, minCases: 300, waitBudgetSeconds: 40 };

describe('schemathesis against the API (short run)', () => {
  it('finds no failure, reaches 2xx on every operation, and leaves no half-started release', async () => {
    const outcome = await runApiFuzz({ ...SHORT_RUN, log: (line) => console.log(line) });
    console.log(outcome.summary);
    expect(outcome.report.cases).toBeGreaterThanOrEqual(SHORT_RUN.minCases);
    expect(outcome.problems).toEqual([]);
  }, 300_000);
});
