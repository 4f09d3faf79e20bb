// The order test files start in. Two run at a time (vitest.config.ts), and a long file that starts
// last leaves one core idle while it runs: on a fresh clone vitest knows no durations and starts the
// largest files first, which put the README tour (a small file, a minute long) at the very end. The
// files measured longest start first, longest first; the rest follow, largest first.
import { statSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Measured on 2 cores, three files at a time, longest first (seconds in a full run, rounded). */
const LONGEST_FIRST = [
  'test/crash/crash-suite.test.ts', // 215
  'test/stack/start-dev-stack.test.ts', // 148
  'test/fuzz/api-fuzz.test.ts', // 143
  'test/integration/engine-integrity.test.ts', // 113
  'test/integration/regular-release.test.ts', // 72
  'test/docs/readme-tour.test.ts', // 70
  'test/integration/trust-boundary.test.ts', // 70
  'test/integration/release-types.test.ts', // 65
  'test/integration/automatic-rollback.test.ts', // 64
  'test/workflows/release-workflow.test.ts', // 63
  'test/cli/runway-cli.test.ts', // 58
  'test/model/release-rules.model.test.ts', // 50
  'test/integration/payload-encryption.test.ts', // 45
  'test/workflows/oversight.test.ts', // 43
  'test/integration/checklists.test.ts', // 40
  'test/demo/compare-and-swap.test.ts', // 22
  'test/api/release-orders.test.ts', // 21
  'test/integration/rolling-release.test.ts', // 21
  'test/demo/demo-target.test.ts', // 19
  'test/analysis/http-probe.test.ts', // 17
  'test/metrics/prometheus-metrics.test.ts', // 16
  'test/stack/temporal-dev-server.test.ts', // 16
  'test/api/services.test.ts', // 14
  'test/integration/database-release.test.ts', // 11
  'test/stack/embedded-postgres.test.ts', // 10
  'test/demo/edm-sender.test.ts', // 10
  'test/demo/edm-web-faults.test.ts', // 10
  'test/db/release-backups.test.ts', // 10
  'test/api/version-rules.test.ts', // 8
  'test/demo/edm-db.test.ts', // 8
  'test/stack/dist-build.test.ts', // 7
  'test/alerts/alert-delivery-release.test.ts', // 7
  'test/demo/late-faults-behind-proxy.test.ts', // 6
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
