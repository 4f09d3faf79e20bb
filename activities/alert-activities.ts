// Raising an alert is an activity: retried until the notifier takes it, idempotent by its key. It
// answers with the channels configuration routes the alert to; the workflow then delivers it to each
// in its own activity (deliverAlert), retried by Temporal, so one failing channel neither holds the
// release nor keeps the others from being told (R-ALERT).
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { findStoredAlert, recordDelivery } from '../alerts/alert-deliveries.js';
import { alertMessage } from '../alerts/alert-message.js';
import { routeAlert } from '../alerts/alert-routing.js';
import { createChannel } from '../alerts/channels/index.js';
import type { ReleaseAlert } from '../alerts/notifier.js';
import { RecordingNotifier } from '../alerts/recording-notifier.js';
import type { ActivityDeps } from './activity-deps.js';

export interface RoutedAlert {
  /** The configured channels the alert goes to. */
  channels: string[];
  /** How many times each delivery is tried before its failure is recorded. */
  attempts: number;
}

export interface DeliveryRequest {
  releaseId: string;
  key: string;
  channel: string;
  /** The retry policy's maximum: the attempt that reaches it records a failure instead of throwing. */
  attempts: number;
}

export type DeliveryResult = { delivered: true } | { delivered: false; error: string };

export function createAlertActivities(deps: ActivityDeps) {
  const notifier = deps.notifier ?? new RecordingNotifier(deps.pool, deps.logger);
  return {
    async raiseAlert(alert: ReleaseAlert): Promise<RoutedAlert> {
      await notifier.notify(alert);
      const alerting = deps.alerting;
      if (!alerting) return { channels: [], attempts: 1 };
      return { channels: routeAlert(alerting.alerts, alert), attempts: alerting.alerts.deliveryAttempts };
    },

    async deliverAlert(request: DeliveryRequest): Promise<DeliveryResult> {
      const { attempt } = Context.current().info;
      const alerting = deps.alerting;
      const channel = alerting && createChannel(alerting, request.channel);
      const log = { releaseId: request.releaseId, alert: request.key, channel: request.channel, attempt };
      if (!alerting || !channel) {
        // Configuration changed between routing and delivery: no retry can find the channel again.
        const error = `channel ${request.channel} is no longer configured (runway.yml alerts.channels)`;
        deps.logger.error(log, error);
        deps.metrics?.alertDelivered({
          channel: request.channel,
          channelType: 'unconfigured',
          level: 'unknown',
          outcome: 'failed',
        });
        return { delivered: false, error };
      }
      const stored = await findStoredAlert(deps.pool, request.releaseId, request.key);
      if (!stored) {
        throw ApplicationFailure.nonRetryable(
          `alert ${request.key} of release ${request.releaseId} was never recorded; raise it before delivering it`,
          'AlertNotRecorded',
        );
      }
      const counted = { channel: request.channel, channelType: channel.type, level: stored.level };
      try {
        await channel.send(alertMessage(stored, alerting));
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (attempt < request.attempts) {
          deps.logger.warn(log, `alert not delivered yet: ${reason}`);
          deps.metrics?.alertAttemptFailed({ channel: request.channel, channelType: channel.type });
          throw error;
        }
        await recordDelivery(deps.pool, request.releaseId, {
          alertKey: request.key,
          channel: request.channel,
          channelType: channel.type,
          outcome: 'failed',
          attempts: attempt,
          error: reason,
        });
        deps.logger.error(log, `alert not delivered after ${attempt} attempts: ${reason}`);
        deps.metrics?.alertDelivered({ ...counted, outcome: 'failed' });
        return { delivered: false, error: reason };
      }
      await recordDelivery(deps.pool, request.releaseId, {
        alertKey: request.key,
        channel: request.channel,
        channelType: channel.type,
        outcome: 'delivered',
        attempts: attempt,
        error: null,
      });
      deps.metrics?.alertDelivered({ ...counted, outcome: 'delivered' });
      return { delivered: true };
    },
  };
}
