// A retried start may find a workflow already running under its release's id: its own, started by
// an earlier attempt whose answer was lost — or one someone else started under that id. It is taken
// as the release's only if its input, as the workflow received it, carries Runway's start authority
// for exactly this workflow type and id and input.
import type { Client } from '@temporalio/client';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow/index.js';
import type { DecisionKeys } from '../../security/decision-signature.js';
import { checkStartAuthority } from '../../security/start-authority.js';

export type Adoption = { adopted: true; runId: string } | { adopted: false; reason: string };

export async function adoptRunningStart(
  client: Client,
  keys: DecisionKeys,
  workflowType: string,
  workflowId: string,
): Promise<Adoption> {
  const { runId } = await client.workflow.getHandle(workflowId).describe();
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const first = history.events?.[0];
  const started = first?.workflowExecutionStartedEventAttributes;
  if (!started) return { adopted: false, reason: `the history of ${workflowId} has no start` };
  const startedType = started.workflowType?.name ?? '';
  // A start whose payloads cannot be opened with Runway's keys is not Runway's.
  const args = await decodeArrayFromPayloads(
    client.options.loadedDataConverter,
    started.input?.payloads ?? [],
  ).catch((error: unknown) => new Error(error instanceof Error ? error.message : String(error)));
  if (args instanceof Error) return { adopted: false, reason: `its input cannot be read: ${args.message}` };
  const verdict = checkStartAuthority(keys, {
    workflowType,
    workflowId,
    input: args[0],
    authority: startedType === workflowType ? args[1] : undefined,
  });
  if (!verdict.authorised) return { adopted: false, reason: verdict.reason };
  return { adopted: true, runId };
}
