// The release workflows as the global set-up bundled them (test/support/workflow-bundle-setup.ts).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { inject } from 'vitest';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The bundle of the current release workflow code, read once per test file. */
export function releaseWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= (async () => {
    const dir = inject('releaseWorkflowBundleDir');
    const [code, sourceMap] = await Promise.all([
      readFile(join(dir, 'code.js'), 'utf8'),
      readFile(join(dir, 'code.js.map'), 'utf8'),
    ]);
    return { code, sourceMap };
  })();
  return bundle;
}
