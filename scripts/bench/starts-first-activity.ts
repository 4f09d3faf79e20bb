// When a release workflow began and when a worker took its first activity task, read from its
// history. Local activities (a release's start check and record claim) run inside a workflow task
// and leave only markers, so the first activity task is the first work the release hands out: the server stamps both events, so how soon the bench notices them does not enter the
// figure. The history is long-polled (waitNewEvent: the server answers once there is something new),
// one request at a time, so watching costs the measured start next to nothing.
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';

// CommonJS: the default import, then the namespace (a named import fails in ESM).
const { EventType } = proto.temporal.api.enums.v1;

export interface StartMilestones {
  /** WorkflowExecutionStarted, epoch ms (the server's clock; the bench runs on the same host). */
  workflowStartedAt: number;
  /** The first ActivityTaskStarted: a worker took the first activity task. */
  firstActivityStartedAt: number;
  /** That activity's type. */
  firstActivityType: string;
}

const CLOSED = new Set([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
]);

/**
 * Waits until the workflow's first activity has started and returns the two moments. An activity's
 * started event enters the history together with its completion, so this returns once the first
 * activity has finished; its timestamp is still the moment a worker took it.
 */
export async function firstActivityStart(client: Client, workflowId: string): Promise<StartMilestones> {
  let workflowStartedAt: number | undefined;
  const scheduledTypes = new Map<string, string>();
  let nextPageToken: Uint8Array | undefined;
  for (;;) {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId },
      waitNewEvent: true,
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    for (const event of page.history?.events ?? []) {
      if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) {
        workflowStartedAt = tsToMs(event.eventTime);
      } else if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
        const name = event.activityTaskScheduledEventAttributes?.activityType?.name ?? 'unknown';
        scheduledTypes.set(String(event.eventId), name);
      } else if (event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
        if (workflowStartedAt === undefined) throw new Error(`${workflowId}: an activity before the start`);
        const scheduledId = String(event.activityTaskStartedEventAttributes?.scheduledEventId);
        return {
          workflowStartedAt,
          firstActivityStartedAt: tsToMs(event.eventTime),
          firstActivityType: scheduledTypes.get(scheduledId) ?? 'unknown',
        };
      } else if (event.eventType != null && CLOSED.has(event.eventType)) {
        throw new Error(
          `${workflowId} ended before any activity started (event ${EventType[event.eventType]})`,
        );
      }
    }
    if (!page.nextPageToken?.length) throw new Error(`${workflowId}: its history ended without an activity`);
    nextPageToken = page.nextPageToken;
  }
}
