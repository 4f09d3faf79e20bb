// `npm run build`: bundles the workflow code once (what every worker would otherwise do at start)
// into dist/workflow-bundle.js. A worker started with RUNWAY_WORKFLOW_BUNDLE pointing at it skips
// bundling; the container image does this at build time. Bundling also proves that nothing in
// workflows/ pulls in a module the workflow sandbox forbids.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { projectRoot } from '../stack/temporal-binaries.js';
import { RELEASE_WORKFLOW_BUNDLE } from '../worker/create-release-worker.js';

const output = process.argv[2] ?? join(projectRoot, 'dist', 'workflow-bundle.js');
const started = performance.now();
const { code } = await bundleWorkflowCode({ ...RELEASE_WORKFLOW_BUNDLE, logger: undefined });
await mkdir(dirname(output), { recursive: true });
await writeFile(output, code);
console.log(
  `workflow bundle: ${output} (${Math.round(code.length / 1024)} KiB, ${Math.round(performance.now() - started)} ms)`,
);
