// Messages of a v2 release workflow: the API and the workflow share these definitions.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DecisionVerdict, ReleaseState, SignedDecision } from './release-model.js';

/**
 * An approver's decision, signed by the API. An update, so the caller gets the workflow's own
 * verdict (counted, refused and why, gate closed); the update id is the claim's decisionId, so a
 * retried request is answered once.
 */
export const decideUpdate = defineUpdate<DecisionVerdict, [SignedDecision]>('decide');

/**
 * The same decision as a fire-and-forget signal, for senders that cannot wait for an answer. It
 * goes through the same verification; its verdict is recorded in the release's decisions.
 */
export const approvalSignal = defineSignal<[SignedDecision]>('approval');

/** The release's live state: status, current step, the pending gate, steps, decisions, rollback plan. */
export const releaseStateQuery = defineQuery<ReleaseState>('releaseState');
