// The order test files start in. Two run at a time (vitest.config.ts), and a long file that starts
// last leaves one core idle while it runs: on a fresh clone vitest knows no durations and starts the
// largest files first, which put the README tour (a small file, a minute long) at the very end. The
// files measured longest start first, longest first; the rest follow, largest first.
import { statSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Measured on 2 cores, longest first (seconds in a full run, rounded). */
const LONGEST_FIRST = [
  'test/crash/crash-suite.test.ts', // 160
  'test/stack/start-dev-stack.test.ts', // 105
  'test/fuzz/api-fuzz.test.ts', // 85
  'test/integration/engine-integrity.test.ts', // 75
  'test/docs/readme-tour.test.ts', // 60
  'test/integration/release-types.test.ts', // 60
  'test/integration/automatic-rollback.test.ts', // 58
  'test/integration/payload-encryption.test.ts', // 55
  'test/integration/trust-boundary.test.ts', // 55
  'test/integration/regular-release.test.ts', // 52
  'test/cli/runway-cli.test.ts', // 50
  'test/workflows/release-workflow.test.ts', // 45
  'test/integration/checklists.test.ts', // 31
  'test/model/release-rules.model.test.ts', // 27
];

export default class HeavyFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const rank = (spec: TestSpecification) => {
      const index = LONGEST_FIRST.indexOf(relative(root, spec.moduleId));
      return index < 0 ? LONGEST_FIRST.length : index;
    };
    const size = (spec: TestSpecification) => statSync(spec.moduleId).size;
    return [...files].sort((a, b) => rank(a) - rank(b) || size(b) - size(a));
  }
}
