// Frozen: the v1 workflow's signal and query (see release-workflow-v1.ts).
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ApprovalDecision, ReleaseState } from './release-model-v1.js';

/** An approver's decision, unsigned: v1 trusted what the API put in it. */
export const approvalSignal = defineSignal<[ApprovalDecision]>('approval');

export const releaseStateQuery = defineQuery<ReleaseState>('releaseState');
