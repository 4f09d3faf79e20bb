// How a release's alerts leave the workflow (R-ALERT): recorded by an activity, then delivered to the
// channels configuration routes them to, each in its own retried activity running in the background,
// so a channel that keeps failing neither holds the release up nor stops it; its failure is recorded.
import { CancellationScope, log } from '@temporalio/workflow';
import type { DeliveryRequest, RoutedAlert } from '../activities/alert-activities.js';
import type { ReleaseAlert } from '../alerts/notifier.js';
import { alertActivities } from './activity-proxies.js';
import type { ReleaseStatus } from './release-model.js';
import type { StepContext } from './steps/step-context.js';

type AlertInput = Omit<ReleaseAlert, 'releaseId' | 'service'>;

/** When the recording activity names no attempt count (a worker without alerting settings). */
const DEFAULT_DELIVERY_ATTEMPTS = 5;

// Module state is per workflow execution: the SDK isolates each workflow's modules.
const deliveries = new Set<Promise<void>>();
let stagesAnnounced = 0;

/**
 * Records the alert, then delivers it to each routed channel in the background. Plans without
 * oversight (releases started before delivery existed) only record it, so their histories replay.
 */
export async function raiseAlert(context: StepContext, alert: AlertInput): Promise<void> {
  const { releaseId, service } = context.input;
  let routed: RoutedAlert | undefined;
  try {
    routed = await alertActivities.raiseAlert({ ...alert, releaseId, service });
  } catch (error) {
    log.error('alert not recorded', { key: alert.key, error: String(error) });
    return;
  }
  if (!context.input.plan.oversight) return;
  // A stand-in worker may answer nothing: then there is nowhere to deliver.
  const attempts = routed?.attempts ?? DEFAULT_DELIVERY_ATTEMPTS;
  for (const channel of routed?.channels ?? []) {
    track(deliver({ releaseId, key: alert.key, channel, attempts }));
  }
}

/** Announces a status change in the release's channel (seed: 发布中沟通); plans with oversight only. */
export async function announceStage(
  context: StepContext,
  status: ReleaseStatus,
  detail?: string,
): Promise<void> {
  if (!context.input.plan.oversight) return;
  const { input, state } = context;
  stagesAnnounced += 1;
  await raiseAlert(context, {
    key: `stage:${stagesAnnounced}:${status}`,
    level: 'P3',
    kind: 'stage-changed',
    stepId: state.currentStep ?? null,
    environment: state.environment ?? null,
    message: `${input.service} ${input.version} (${input.type}) is ${status}${detail ? `: ${detail}` : ''}`,
    ...(detail ? { details: { reason: detail } } : {}),
  });
}

/**
 * Resolves once every delivery started so far has ended (delivered, or its failure recorded). The
 * workflow awaits it before it ends: a workflow that ends abandons the activities it still runs.
 */
export async function alertDeliveriesSettled(): Promise<void> {
  while (deliveries.size > 0) await Promise.all([...deliveries]);
}

function deliver(request: DeliveryRequest): Promise<void> {
  // Not cancelled with the release: a cancelled release's alerts must still go out.
  return CancellationScope.nonCancellable(() =>
    alertActivities.deliverAlert.executeWithOptions(
      {
        summary: `alert ${request.key} to ${request.channel}`,
        startToCloseTimeout: '30 seconds',
        retry: {
          initialInterval: '1 second',
          backoffCoefficient: 2,
          maximumInterval: '30 seconds',
          maximumAttempts: request.attempts,
        },
      },
      [request],
    ),
  ).then(
    (result) => {
      if (!result.delivered) log.warn('alert not delivered', { ...request, error: result.error });
    },
    (error: unknown) => log.error('alert delivery failed', { ...request, error: String(error) }),
  );
}

function track(delivery: Promise<void>): void {
  deliveries.add(delivery);
  void delivery.finally(() => deliveries.delete(delivery));
}
