// The stack the starts and engine benchmarks measure on: the crash suite's stack of separate
// processes (embedded PostgreSQL, a Temporal dev server, the demo target, the API and a worker as
// child processes), running the compiled build or the sources, and a Temporal client of the
// bench's own that seals payloads as Runway's API does.
import { pathToFileURL } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import pg from 'pg';
import { type CrashStack, type CrashStackOptions, startCrashStack } from '../../test/crash/crash-stack.js';
import { testDataConverter } from '../../test/support/payload-keys.js';
import { RELEASE_WORKFLOW_BUNDLE } from '../../worker/create-release-worker.js';
import { DIST_ENTRIES, distWorkflowBundle } from './bench-release-stack.js';
import { stoppedOnInterrupt } from './stopped-on-interrupt.js';

export interface BenchStack {
  stack: CrashStack;
  /** Reads histories and, for the baselines, starts workflows; it encrypts like the API. */
  client: Client;
  /** The database owner's connection: the bench's own table and the baselines' release records. */
  pool: pg.Pool;
  stop(): Promise<void>;
}

export interface BenchStackOptions extends Pick<CrashStackOptions, 'editConfig' | 'env'> {
  /**
   * Run the API and the worker from the compiled build (dist/, which `npm run bench` builds first),
   * as production runs them; otherwise from the sources through tsx, with the workflows bundled here.
   */
  compiled: boolean;
}

async function workflowBundleFor(compiled: boolean) {
  if (compiled) return distWorkflowBundle();
  return bundleWorkflowCode({ ...RELEASE_WORKFLOW_BUNDLE, logger: new DefaultLogger('WARN') });
}

export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  // The processes log at error only: their logging would otherwise load the two cores being measured.
  const env = { RUNWAY_LOG_LEVEL: 'error', ...options.env };
  const sources = { api: 'api/main.ts', worker: 'worker/main.ts' };
  const entries = { ...(options.compiled ? DIST_ENTRIES : sources) };
  const workflowBundle = await workflowBundleFor(options.compiled);
  const stack = await startCrashStack({ editConfig: options.editConfig, env, entries, workflowBundle });
  const cleanups: (() => Promise<unknown>)[] = [() => stack.stop()];
  // Once only: Ctrl-C and the caller's finally may both ask.
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      for (const cleanup of [...cleanups].reverse()) await cleanup().catch(() => undefined);
    })();
    return stopping;
  };
  try {
    await stack.startApi();
    await stack.startWorker();
    const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 4 });
    cleanups.push(() => pool.end());
    const connection = await Connection.connect({ address: stack.temporal.address });
    cleanups.push(() => connection.close());
    const client = new Client({
      connection,
      namespace: stack.config.settings.temporal.namespace,
      dataConverter: testDataConverter,
    });
    return { stack, client, pool, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Runs `work` on a started stack and stops the stack afterwards, also on Ctrl-C or SIGTERM (the
 * stack's servers are processes of their own and would outlive this one otherwise).
 */
export async function withBenchStack<T>(
  options: BenchStackOptions,
  work: (bench: BenchStack) => Promise<T>,
): Promise<T> {
  const bench = await startBenchStack(options);
  return stoppedOnInterrupt(bench.stop, () => work(bench));
}

/** Whether this module is the one `node --import tsx <file>` was asked to run. */
export const runDirectly = (moduleUrl: string): boolean =>
  process.argv[1] !== undefined && moduleUrl === pathToFileURL(process.argv[1]).href;
