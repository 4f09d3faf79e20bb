// What every activity is built over. Tests hand in real or local dependencies; nothing is module-mocked.

import type pg from 'pg';
import type { Logger } from 'pino';
import type { AlertingSettings } from '../alerts/alert-message.js';
import type { Notifier } from '../alerts/notifier.js';
import type { RunwayConfig } from '../config/config-schema.js';
import type { WorkerMetricsSink } from '../metrics/worker-metrics.js';
import type { DecisionKeys } from '../security/decision-signature.js';
import type { WindowCalendar } from './calendar-activities.js';
import type { RunAuthority } from './run-authority.js';

export interface ActivityDeps {
  pool: pg.Pool;
  logger: Logger;
  /** Where configured commands run (relative paths in commands resolve against it). */
  workingDirectory: string;
  /** The keys that verify signed decisions; they stay in the worker, never in a history. */
  decisionKeys: DecisionKeys;
  /** The release calendar (windows, freezes, holidays), read anew for every check. */
  calendar: WindowCalendar;
  /** Services and environments: where the inspection's command comes from (never from its request). */
  config?: Pick<RunwayConfig, 'services' | 'environments'>;
  /** Refuses what a release's run may not do (the trust boundary); none in tests of single activities. */
  runAuthority?: RunAuthority;
  /** Where alerts go; default: kept in release_alerts and logged. */
  notifier?: Notifier;
  /** Channels, routes, people's contacts and link bases (runway.yml); none: alerts are only recorded. */
  alerting?: AlertingSettings;
  /** What the worker's /metrics counts (records, alert deliveries); none in tests of single activities. */
  metrics?: WorkerMetricsSink;
}
