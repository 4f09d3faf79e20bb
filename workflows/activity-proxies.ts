// Activity stubs of the v2 engine with their timeouts and retry policies, one place for all of them.
import {
  ActivityCancellationType,
  type ActivityOptions,
  proxyActivities,
  proxyLocalActivities,
} from '@temporalio/workflow';
import type { RunwayActivities } from '../activities/index.js';

type TargetActivities = Pick<
  RunwayActivities,
  'inspectTarget' | 'deployToColour' | 'checkColour' | 'switchTraffic' | 'retireColour'
>;

/**
 * What changes or watches a target: a lost worker is noticed by the missing heartbeat, and a
 * cancelled release waits for a running action to stop before compensating, so the undo comes last.
 */
const LONG_RUNNING = {
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  heartbeatTimeout: '30 seconds',
} satisfies ActivityOptions;
/** Retries two seconds apart at first, then up to half a minute apart. */
const BACKING_OFF = {
  initialInterval: '2 seconds',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
} as const;

/** Driver actions: a deploy may take minutes. */
const DRIVER_ACTION_OPTIONS: ActivityOptions = {
  ...LONG_RUNNING,
  startToCloseTimeout: '10 minutes',
  retry: {
    ...BACKING_OFF,
    maximumAttempts: 5,
    nonRetryableErrorTypes: ['TargetChanged', 'TargetCheckFailed', 'DriverContractViolated'],
  },
};

/** Blue-green (R-RB-BLUEGREEN). */
export const targetActivities = proxyActivities<TargetActivities>(DRIVER_ACTION_OPTIONS);

/** Rolling updates (R-RB-ROLLING): the same policy as blue-green's driver actions. */
export const rollingActivities =
  proxyActivities<Pick<RunwayActivities, 'listInstances' | 'updateInstance' | 'checkInstance'>>(
    DRIVER_ACTION_OPTIONS,
  );

/** Configuration changes (R-CONFIG-CHANGE): the same policy as the deploy drivers' actions. */
export const configurationActivities =
  proxyActivities<Pick<RunwayActivities, 'currentConfig' | 'applyConfig' | 'checkConfig'>>(
    DRIVER_ACTION_OPTIONS,
  );

/**
 * A service's database (R-RB-DB): its migration tool and the backup taken before it runs. A migration
 * that fails fails the same way when retried (it ran in one transaction and left nothing), so few
 * attempts; a request the tool refuses, or a backup without tools or keys, is final.
 */
export const databaseActivities = proxyActivities<
  Pick<RunwayActivities, 'migrationStatus' | 'backupDatabase' | 'migrateUp' | 'migrateDown'>
>({
  ...LONG_RUNNING,
  startToCloseTimeout: '30 minutes',
  retry: {
    ...BACKING_OFF,
    maximumAttempts: 3,
    nonRetryableErrorTypes: ['MigrationRefused', 'MigrationToolContractViolated', 'BackupNotPossible'],
  },
});

/** Commands and verifications set their own timeouts and attempts from the step at the call site. */
export const stepActivities = proxyActivities<Pick<RunwayActivities, 'runStepCommand' | 'verifyService'>>({
  ...LONG_RUNNING,
  startToCloseTimeout: '30 minutes',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 3,
  },
});

/**
 * Record writes: one per transition of the release, a short idempotent transaction. Local, so each is
 * one marker in the history; retried with backoff until PostgreSQL answers (a database that is down
 * pauses the release at its next transition, it does not lose it). Errors that no retry mends
 * (constraint violations, bad data) are non-retryable and fail the step that caused them.
 */
export const recordActivities = proxyLocalActivities<Pick<RunwayActivities, 'recordTransition'>>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** The calendar: its config is read anew on every check, so a freeze added during a wait counts. */
export const calendarActivities = proxyActivities<Pick<RunwayActivities, 'checkReleaseWindow'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Signature checks run locally with the worker's keys, so no key ever enters the history. */
export const decisionActivities = proxyLocalActivities<Pick<RunwayActivities, 'verifyDecision'>>({
  startToCloseTimeout: '5 seconds',
  retry: { maximumAttempts: 3 },
});

/**
 * Baseline and bake: long, heartbeating (a bake resumes from its last heartbeat on another worker).
 * Metrics that cannot be read are retried a few times, then the step fails.
 */
export const bakeActivities = proxyActivities<Pick<RunwayActivities, 'measureBaseline' | 'bakeService'>>({
  ...LONG_RUNNING,
  startToCloseTimeout: '2 hours',
  retry: {
    ...BACKING_OFF,
    maximumAttempts: 4,
    nonRetryableErrorTypes: ['BakeUnhealthy'],
  },
});

/** The rollback verification checklist: checks and a short probe; it reports, it does not throw. */
export const rollbackVerificationActivities = proxyActivities<Pick<RunwayActivities, 'verifyRollback'>>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

/**
 * Alerts: retried until a notifier takes them, but never for so long that a release waits on them.
 * deliverAlert sets its own retry policy at the call site (workflows/alerting.ts).
 */
export const alertActivities = proxyActivities<Pick<RunwayActivities, 'raiseAlert' | 'deliverAlert'>>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 10,
  },
});
