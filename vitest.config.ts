import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/quiet-temporal-logs.ts'],
    // Worker threads and the Temporal SDK's native core do not mix; child processes do.
    pool: 'forks',
    // Test files start real servers (Temporal, PostgreSQL) on a 2-core machine: one file at a time.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
