import { defineConfig } from 'vitest/config';
import HeavyFirstSequencer from './test/support/heavy-first-sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/quiet-temporal-logs.ts'],
    // Worker threads and the Temporal SDK's native core do not mix; child processes do.
    pool: 'forks',
    // Test files start real servers (Temporal, PostgreSQL, demo processes) and spend most of their
    // time waiting on them (bakes, timers, process starts): two files at a time fill 2 cores without
    // starving either (measured: 8.5 min instead of 13.7 for the suite of 63 files; three at a time
    // starved the runs that wait for releases to reach their gates). Every server a file
    // starts is on free ports of its own.
    fileParallelism: true,
    maxWorkers: 2,
    sequence: { sequencer: HeavyFirstSequencer },
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
