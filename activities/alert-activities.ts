// Raising an alert is an activity: retried until the notifier takes it, idempotent by its key.
import type { ReleaseAlert } from '../alerts/notifier.js';
import { RecordingNotifier } from '../alerts/recording-notifier.js';
import type { ActivityDeps } from './activity-deps.js';

export function createAlertActivities(deps: ActivityDeps) {
  const notifier = deps.notifier ?? new RecordingNotifier(deps.pool, deps.logger);
  return {
    async raiseAlert(alert: ReleaseAlert): Promise<void> {
      await notifier.notify(alert);
    },
  };
}
