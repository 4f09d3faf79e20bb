import { defineConfig } from 'vitest/config';

// `npm run test:cluster`: the production topology (stack/cluster/), one file at a time: each starts
// a whole cluster, and two at once would not fit two cores.
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    setupFiles: ['test/support/quiet-temporal-logs.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 900_000,
  },
});
