// Global set-up: the release workflows bundled once for the whole run. Two dozen suites run a
// worker on the current workflow code, and each bundling it again took a webpack run of its own
// (1.2 s alone, several seconds on a busy machine).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { RELEASE_WORKFLOW_BUNDLE } from '../../worker/create-release-worker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the bundle of the current release workflows lies (code.js and code.js.map). */
    releaseWorkflowBundleDir: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = await mkdtemp(join(tmpdir(), 'runway-workflow-bundle-'));
  const bundle = await bundleWorkflowCode(RELEASE_WORKFLOW_BUNDLE);
  await writeFile(join(dir, 'code.js'), bundle.code);
  await writeFile(join(dir, 'code.js.map'), bundle.sourceMap);
  project.provide('releaseWorkflowBundleDir', dir);
  return async () => rm(dir, { recursive: true, force: true });
}
