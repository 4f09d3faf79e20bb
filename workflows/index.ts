// Entry point of the workflow bundle: every workflow type the worker registers. Old types stay
// registered for as long as releases may run on them (see "Changing workflow code" in docs/operations.md).
export { releaseWorkflow } from './legacy/release-workflow-v1.js';
export { releaseWorkflowV2 } from './release-workflow.js';
export { checkHealthWorkflow } from './target-health-workflow.js';
export { inspectTargetWorkflow } from './target-inspection-workflow.js';
