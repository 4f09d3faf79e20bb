// Temporal environments for tests, on the binaries that npm postinstall puts into .runway/temporal/
// (the SDK's own download needs internet access, which CI machines may not have).
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { getFreePort } from '../../stack/free-port.js';
import { resolveTimeSkippingServer } from '../../stack/temporal-binaries.js';
import {
  type DevServer,
  type DevServerSearchAttributeType,
  startTemporalDevServer,
  toIndexedValueTypes,
} from '../../stack/temporal-dev-server.js';

const CREATE_ATTEMPTS = 3;

/**
 * Keeps the SDK's worker logs to warnings and errors, so test output shows what matters. Call it
 * before anything creates a connection or worker in the test file's process; later calls, or calls
 * after the runtime exists, change nothing.
 */
export function quietTemporalRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // The runtime is already installed: keep whatever logger it has.
  }
}

async function withRetries<T>(what: string, attempts: number, create: () => Promise<T>): Promise<T> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await create();
    } catch (error) {
      lastError = error;
    }
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`${what} failed ${attempts} times; last error: ${reason}`, { cause: lastError });
}

/**
 * The Java time-skipping test server. The SDK polls its readiness for only 5 s, which a loaded
 * 2-core machine can exceed (the server then gets killed), so creation is retried.
 *
 * The test server rejects custom search attributes it does not know ("search attribute X is not
 * defined" fails the workflow task, which then retries forever), so pass the ones the workflows
 * use. It accepts AddSearchAttributes but implements neither ListSearchAttributes nor visibility
 * queries (ListWorkflowExecutions): read attributes back with `handle.describe()`.
 */
export async function createTimeSkippingTestEnv(
  searchAttributes: Record<string, DevServerSearchAttributeType> = {},
): Promise<TestWorkflowEnvironment> {
  const path = resolveTimeSkippingServer();
  const env = await withRetries('Starting the time-skipping test server', CREATE_ATTEMPTS, () =>
    TestWorkflowEnvironment.createTimeSkipping(
      path === undefined ? {} : { server: { executable: { type: 'existing-path', path } } },
    ),
  );
  if (Object.keys(searchAttributes).length > 0) {
    try {
      await env.connection.operatorService.addSearchAttributes({
        namespace: env.namespace ?? 'default',
        searchAttributes: toIndexedValueTypes(searchAttributes),
      });
    } catch (error) {
      await env.teardown();
      throw error;
    }
  }
  return env;
}

export interface DevServerTestEnv {
  env: TestWorkflowEnvironment;
  server: DevServer;
  teardown(): Promise<void>;
}

/**
 * A real dev server (no time skipping) on free ports, headless and in memory, with the given
 * custom search attributes registered in its `default` namespace.
 */
export async function createDevServerTestEnv(
  searchAttributes: Record<string, DevServerSearchAttributeType> = {},
): Promise<DevServerTestEnv> {
  // A free port can be taken by someone else before the server binds it: retry on a new one.
  const server = await withRetries('Starting the Temporal dev server', CREATE_ATTEMPTS, async () =>
    startTemporalDevServer({ port: await getFreePort(), headless: true, searchAttributes }),
  );
  try {
    const env = await TestWorkflowEnvironment.createFromExistingServer({
      address: server.address,
      namespace: server.namespace,
    });
    return {
      env,
      server,
      async teardown() {
        await env.teardown();
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
