// The stack the read benchmark measures on: PostgreSQL, a Temporal dev server, the demo target, and
// Runway's worker and API each as its own process running the compiled build (dist/), as
// production runs them. The benchmark runner builds dist/ first (`npm run build:dist`).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../../stack/temporal-binaries.js';
import { type CrashStack, type RunwayProcess, startCrashStack } from '../../test/crash/crash-stack.js';

export interface ReleaseStack {
  apiUrl: string;
  tokens: Record<string, string>;
  /** The owner's URL: the benchmarks' own reads and seeding. */
  databaseUrl: string;
  stack: CrashStack;
  api: RunwayProcess;
  worker: RunwayProcess;
  stop(): Promise<void>;
}

export const DIST_ENTRIES = { api: 'dist/api/main.js', worker: 'dist/worker/main.js' };

/** The compiled build's workflow bundle: the worker runs the code the API's build was made with. */
export async function distWorkflowBundle() {
  const file = join(projectRoot, 'dist', 'workflow-bundle.js');
  if (!existsSync(file) || !existsSync(join(projectRoot, DIST_ENTRIES.api)))
    throw new Error('no compiled build in dist/: run `npm run build:dist` first');
  return { code: await readFile(file, 'utf8'), sourceMap: '' };
}

export async function startReleaseStack(env: NodeJS.ProcessEnv = {}): Promise<ReleaseStack> {
  const stack = await startCrashStack({
    workflowBundle: await distWorkflowBundle(),
    entries: DIST_ENTRIES,
    env: { RUNWAY_LOG_LEVEL: 'warn', ...env },
  });
  try {
    const worker = await stack.startWorker();
    const api = await stack.startApi();
    return {
      apiUrl: stack.apiUrl,
      tokens: stack.tokens,
      databaseUrl: stack.databaseUrl,
      stack,
      api,
      worker,
      stop: () => stack.stop(),
    };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}
