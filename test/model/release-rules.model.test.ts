// The sample of the model check that `npm test` runs: random scenarios against the real workflow
// code, every invariant of the release rules checked after each (docs/release-rules.md). A new seed
// every run, printed, so each run looks somewhere new; `npm run test:model` runs 300 scenarios, and a
// failure prints the one command that runs it again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseWorkflowBundle } from '../support/release-workflow-bundle.js';
import { checkModel } from './model-check.js';
import { type ModelHarness, startModelHarness } from './model-harness.js';

/** Scenarios in the sample: about 30 s on 2 cores beside the other suites. */
const SAMPLE_RUNS = Number(process.env.RUNWAY_MODEL_RUNS ?? 8);

describe('the release rules, checked by their invariants on random scenarios', () => {
  let harness: ModelHarness;

  beforeAll(async () => {
    harness = await startModelHarness(await releaseWorkflowBundle());
  });
  afterAll(async () => {
    await harness?.stop();
  });

  it('hold on a sample of scenarios (the seed is printed; the failure says how to run it again)', async () => {
    const seed = Number(process.env.RUNWAY_MODEL_SEED ?? Date.now() % 2_147_483_647);
    console.log(`model check sample: seed ${seed}, ${SAMPLE_RUNS} scenarios`);
    let scenarios = 0;
    let violations = 0;
    // No shrinking here: a failure's seed and path are enough to shrink it with `npm run test:model`.
    await checkModel(harness, {
      numRuns: SAMPLE_RUNS,
      seed,
      noShrink: true,
      onScenario: (_index, _ms, found) => {
        scenarios += 1;
        violations += found;
      },
    });
    expect({ scenarios, violations }).toEqual({ scenarios: SAMPLE_RUNS, violations: 0 });
  }, 600_000);
});
