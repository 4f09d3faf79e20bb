// The model check: random scenarios (scenario.ts) run against the real workflow code (model-harness.ts),
// every invariant (invariants.ts) checked after each. A failure says which invariants broke, what the
// scenario was, what happened, and the one command that runs it again.
import fc from 'fast-check';
import { checkInvariants, gatherEvidence } from './invariants.js';
import type { ModelHarness } from './model-harness.js';
import { describeScenario, scenario } from './scenario.js';

export interface ModelCheckOptions {
  numRuns: number;
  seed?: number;
  path?: string;
  /** Stop looking for a smaller failing scenario (a time budget: the sample run in `npm test`). */
  noShrink?: boolean;
  /** Each scenario as it ends, for progress on long runs. */
  onScenario?: (index: number, ms: number, violations: number, trace: string[]) => void;
}

export async function checkModel(harness: ModelHarness, options: ModelCheckOptions): Promise<void> {
  let index = 0;
  const property = fc.asyncProperty(scenario, async (generated) => {
    const started = Date.now();
    const run = await harness.run(generated);
    const violations = checkInvariants(await gatherEvidence(harness, run));
    options.onScenario?.(++index, Date.now() - started, violations.length, run.trace);
    if (violations.length > 0) {
      throw new Error(
        [
          `${violations.length} invariant(s) broken:`,
          ...violations.map((violation) => `  - ${violation}`),
          'scenario:',
          describeScenario(generated),
          'what happened:',
          ...run.trace.map((line) => `  ${line}`),
        ].join('\n'),
      );
    }
  });
  const details = await fc.check(property, {
    numRuns: options.numRuns,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.path === undefined ? {} : { path: options.path }),
    endOnFailure: options.noShrink ?? false,
  });
  if (details.failed) {
    const rerun = `npm run test:model -- --seed ${details.seed} --path ${details.counterexamplePath ?? ''}`;
    throw new Error(
      `model check failed after ${details.numRuns} scenario(s), ${details.numShrinks} shrink(s); seed ${details.seed}\n` +
        `run it again: ${rerun}\n${String((details.errorInstance as Error | undefined)?.message ?? 'no message')}`,
    );
  }
}
