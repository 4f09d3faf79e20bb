// How a release's alerts leave the workflow (R-ALERT): recorded by an activity, then delivered to the
// channels configuration routes them to. An alert that cannot be delivered never stops the release.
import { log } from '@temporalio/workflow';
import { alertActivities } from './activity-proxies.js';
import type { StepContext } from './steps/step-context.js';

type AlertInput = Omit<Parameters<typeof alertActivities.raiseAlert>[0], 'releaseId' | 'service'>;

/** Raises an alert through the notifier; an alert that cannot be delivered never stops the release. */
export async function raiseAlert(context: StepContext, alert: AlertInput): Promise<void> {
  await alertActivities
    .raiseAlert({ ...alert, releaseId: context.input.releaseId, service: context.input.service })
    .catch((error: unknown) => log.error('alert not delivered', { key: alert.key, error: String(error) }));
}
