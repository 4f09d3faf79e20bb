import { defineConfig } from 'vitest/config';
import HeavyFirstSequencer from './test/support/heavy-first-sequencer.js';

/**
 * Files that need a process of their own: one replaces the Temporal SDK's runtime, the other
 * registers a step kind of its own, which no other file may see.
 */
const OWN_PROCESS = ['test/metrics/prometheus-metrics.test.ts', 'test/step-kinds/step-kind-addition.test.ts'];
/** The production topology's suite runs on its own: `npm run test:cluster`. */
const CLUSTER = ['test/cluster/**'];

export default defineConfig({
  test: {
    setupFiles: ['test/support/quiet-temporal-logs.ts'],
    globalSetup: ['test/support/workflow-bundle-setup.ts'],
    // Worker threads and the Temporal SDK's native core do not mix; child processes do.
    pool: 'forks',
    // Test files start real servers (Temporal, PostgreSQL, demo processes) and spend most of their
    // time waiting on them (bakes, timers, process starts): with two files at a time the 2 cores
    // were busy 60 % of the run, so three run at once. Bakes judge latency only past a second
    // (shortenAnalysis): a starved healthy bake once rolled back on its p95. Every server a file
    // starts is on free ports of its own.
    fileParallelism: true,
    maxWorkers: 3,
    sequence: { sequencer: HeavyFirstSequencer },
    testTimeout: 120_000,
    hookTimeout: 180_000,
    projects: [
      {
        extends: true,
        // Each child process runs one file after another without loading the Temporal SDK and the
        // rest again for each: a fresh process per file cost about 2 s each, 200 s of the run.
        // Every file stops what it starts (servers, workers, connections) in its afterAll.
        test: {
          name: 'suites',
          include: ['test/**/*.test.ts'],
          exclude: [...OWN_PROCESS, ...CLUSTER],
          isolate: false,
        },
      },
      { extends: true, test: { name: 'own-process', include: OWN_PROCESS } },
    ],
  },
});
