// The baseline's worker: its own bundle, task queue and plain data converter (no payload
// encryption), in the bench process, over the stack's Temporal server and PostgreSQL.
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import type pg from 'pg';
import { createBareStepActivities, createBareStepsTable } from './engine-bare-activities.js';

export const BARE_TASK_QUEUE = 'bench-engine-bare';

/** Runs `work` while the baseline's worker polls its queue; shuts the worker down afterwards. */
export async function withBareWorker<T>(
  options: { address: string; namespace: string; pool: pg.Pool },
  work: () => Promise<T>,
): Promise<T> {
  await createBareStepsTable(options.pool);
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./engine-bare-workflow.ts', import.meta.url)),
    logger: new DefaultLogger('WARN'),
  });
  const connection = await NativeConnection.connect({ address: options.address });
  try {
    const worker = await Worker.create({
      connection,
      namespace: options.namespace,
      taskQueue: BARE_TASK_QUEUE,
      workflowBundle,
      activities: createBareStepActivities(options.pool),
    });
    return await worker.runUntil(work);
  } finally {
    await connection.close();
  }
}
