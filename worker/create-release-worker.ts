// Wires the release workflows and activities onto a task queue. Workers scale horizontally: run as
// many as needed against the same queue.
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { type BundleOptions, type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type pg from 'pg';
import type { WindowCalendar } from '../activities/calendar-activities.js';
import { createActivities } from '../activities/index.js';
import type { AlertingSettings } from '../alerts/alert-message.js';
import type { Logger } from '../logging/logger.js';
import { FAILURE_CONVERTER_PATH } from '../security/data-converter.js';
import type { DecisionKeys } from '../security/decision-signature.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/**
 * What every prebuilt bundle of the release workflows needs: the failure converter runs inside
 * the sandbox too, and a bundle made without it would put workflow failure messages in clear.
 */
export const RELEASE_WORKFLOW_BUNDLE: Pick<BundleOptions, 'workflowsPath' | 'failureConverterPath'> = {
  workflowsPath: WORKFLOWS_PATH,
  failureConverterPath: FAILURE_CONVERTER_PATH,
};

export interface ReleaseWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  pool: pg.Pool;
  logger: Logger;
  workingDirectory: string;
  decisionKeys: DecisionKeys;
  /** The release calendar the window step asks (config/calendar.yml; tests declare their own). */
  calendar: WindowCalendar;
  /** Where alerts are delivered (alertingSettingsFrom(config)); none: they are only recorded and logged. */
  alerting?: AlertingSettings;
  /** Encrypts every payload and failure (security/data-converter.ts). */
  dataConverter: DataConverter;
  /** A prebuilt bundle (tests bundle once and share it); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export async function createReleaseWorker(options: ReleaseWorkerOptions): Promise<Worker> {
  const activities = createActivities({
    pool: options.pool,
    logger: options.logger,
    workingDirectory: options.workingDirectory,
    decisionKeys: options.decisionKeys,
    calendar: options.calendar,
    ...(options.alerting ? { alerting: options.alerting } : {}),
  });
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities,
    dataConverter: options.dataConverter,
    // A stopping worker lets running deploys and commands finish rather than cut them off.
    shutdownGraceTime: '30 seconds',
    // Heartbeats reach the server at least every second, so a cancelled release stops a running
    // deploy within about a second rather than at the SDK's default throttle (most of 30 s).
    maxHeartbeatThrottleInterval: '1 second',
    // A workflow task waits this long on its last worker's own queue before any worker may take it:
    // after a worker dies (kill -9, a lost host) its releases carry on after about 3 s, not the
    // SDK's default 10 s. A live worker answers well within it.
    stickyQueueScheduleToStartTimeout: '3 seconds',
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: WORKFLOWS_PATH }),
  });
}
