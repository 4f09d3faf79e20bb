// Entry point of the workflow bundle: every workflow type the worker registers.
export { releaseWorkflow } from './release-workflow.js';
