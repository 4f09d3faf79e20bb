import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTimeSkippingTestEnv, quietTemporalRuntime } from '../support/temporal-test-env.js';
import { bundleStackCheckWorkflows } from './fixtures/bundle-fixture-workflows.js';
import { runwayServiceKey, sleepForADay, tagWithService } from './fixtures/stack-check-workflows.js';

const ONE_DAY_MS = 24 * 60 * 60 * 1000;

describe('time-skipping test environment', () => {
  let workflowBundle: WorkflowBundleWithSourceMap;
  const teardowns: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    quietTemporalRuntime();
    workflowBundle = await bundleStackCheckWorkflows();
  });

  afterEach(async () => {
    for (const teardown of teardowns.splice(0)) await teardown();
  });

  it('skips a one-day timer in moments', async () => {
    const started = Date.now();
    const env = await createTimeSkippingTestEnv();
    teardowns.push(() => env.teardown());
    console.info(`time-skipping server ready in ${Date.now() - started} ms`);
    expect(env.supportsTimeSkipping).toBe(true);

    const taskQueue = 'time-skipping-check';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle });
    const realStart = Date.now();
    const workflowTimeSlept = await worker.runUntil(
      env.client.workflow.execute(sleepForADay, { taskQueue, workflowId: 'sleep-for-a-day' }),
    );
    expect(workflowTimeSlept).toBeGreaterThanOrEqual(ONE_DAY_MS);
    expect(Date.now() - realStart).toBeLessThan(30_000);
  });

  it('accepts custom search attributes once they are registered', async () => {
    const env = await createTimeSkippingTestEnv({ RunwayService: 'Keyword' });
    teardowns.push(() => env.teardown());

    const taskQueue = 'time-skipping-search-attributes';
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(tagWithService, {
        taskQueue,
        workflowId: 'tag-with-service',
        args: ['edm-web'],
        typedSearchAttributes: [{ key: runwayServiceKey, value: 'at-start' }],
      });
      expect(await handle.result()).toBe('edm-web');
      const description = await handle.describe();
      expect(description.typedSearchAttributes.get(runwayServiceKey)).toBe('edm-web');
    });
  });
});
