// The workflow bundle entry of the step-kind addition test: Runway's workflows, and the stamp kind.
import './stamp/stamp-step.js';

export * from '../../workflows/index.js';
