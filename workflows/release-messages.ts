// Signals and queries of a release workflow: the API and the workflow share these definitions.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ApprovalDecision, ReleaseState } from './release-model.js';

/** An approver's decision on the pending gate. A signal, so it is recorded in the history (R-AUDIT). */
export const approvalSignal = defineSignal<[ApprovalDecision]>('approval');

/** The release's live state: status, current step, the pending gate and the steps done. */
export const releaseStateQuery = defineQuery<ReleaseState>('releaseState');
