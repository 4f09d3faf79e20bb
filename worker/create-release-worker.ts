// Wires the release workflows and activities onto a task queue. Workers scale horizontally: run as
// many as needed against the same queue.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { type BundleOptions, type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type pg from 'pg';
import type { WindowCalendar } from '../activities/calendar-activities.js';
import { createActivities } from '../activities/index.js';
import { RunAuthority } from '../activities/run-authority.js';
import type { AlertingSettings } from '../alerts/alert-message.js';
import type { RunwayConfig } from '../config/config-schema.js';
import type { Logger } from '../logging/logger.js';
import type { WorkerMetricsSink } from '../metrics/worker-metrics.js';
import { FAILURE_CONVERTER_PATH, PAYLOAD_CONVERTER_PATH } from '../security/data-converter.js';
import type { DecisionKeys } from '../security/decision-signature.js';

/** How long a stopping worker lets activities run before cancelling them, and when it gives up. */
export const SHUTDOWN_GRACE_MS = 20_000;
export const SHUTDOWN_FORCE_MS = 25_000;

// Of this module's own kind: the TypeScript workflows beside the sources, the compiled ones beside a
// compiled copy (dist/ holds no TypeScript to bundle).
const MODULE_EXTENSION = extname(fileURLToPath(import.meta.url));
export const WORKFLOWS_PATH = fileURLToPath(
  new URL(`../workflows/index${MODULE_EXTENSION}`, import.meta.url),
);

/**
 * What every prebuilt bundle of the release workflows needs: the converters run inside the sandbox
 * too. A bundle made without the failure converter would put workflow failure messages in clear;
 * one without the payload converter could not tell a start or a signal sent in clear from Runway's.
 */
export const RELEASE_WORKFLOW_BUNDLE: Pick<
  BundleOptions,
  'workflowsPath' | 'failureConverterPath' | 'payloadConverterPath'
> = {
  workflowsPath: WORKFLOWS_PATH,
  failureConverterPath: FAILURE_CONVERTER_PATH,
  payloadConverterPath: PAYLOAD_CONVERTER_PATH,
};

export interface ReleaseWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  pool: pg.Pool;
  logger: Logger;
  workingDirectory: string;
  decisionKeys: DecisionKeys;
  /** Services and environments: where the commands of inspections come from. */
  config: Pick<RunwayConfig, 'services' | 'environments'>;
  /** The release calendar the window step asks (config/calendar.yml; tests declare their own). */
  calendar: WindowCalendar;
  /** Where alerts are delivered (alertingSettingsFrom(config)); none: they are only recorded and logged. */
  alerting?: AlertingSettings;
  /** The workers' converter: encrypts every payload and failure, marks what arrives unsealed (security/data-converter.ts). */
  dataConverter: DataConverter;
  /** A prebuilt bundle (tests bundle once and share it); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** What the worker's /metrics counts; none: nothing is counted. */
  metrics?: WorkerMetricsSink;
  /** The build this worker polls as (worker/worker-deployment.ts); none: an unversioned worker. */
  workerDeployment?: WorkerOptions['workerDeploymentOptions'];
}

export async function createReleaseWorker(options: ReleaseWorkerOptions): Promise<Worker> {
  // Ends a run the trust boundary refused, so it cannot go on to its next step.
  const client = new Client({
    connection: options.connection,
    namespace: options.namespace,
    dataConverter: options.dataConverter,
  });
  const runAuthority = new RunAuthority({
    pool: options.pool,
    logger: options.logger,
    terminate: (workflowId, runId, reason) =>
      client.workflow
        .getHandle(workflowId, runId)
        .terminate(reason)
        .then(() => undefined),
  });
  const activities = createActivities({
    pool: options.pool,
    logger: options.logger,
    workingDirectory: options.workingDirectory,
    decisionKeys: options.decisionKeys,
    config: options.config,
    runAuthority,
    calendar: options.calendar,
    ...(options.alerting ? { alerting: options.alerting } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities,
    interceptors: { activity: [runAuthority.interceptor()] },
    dataConverter: options.dataConverter,
    // A stopping worker lets running deploys and commands finish rather than cut them off; they are
    // asked to stop after the grace time. Whatever still runs then (a workflow task caught in
    // retries, say) is given up on, so a stop is bounded whatever the workflows do.
    shutdownGraceTime: `${SHUTDOWN_GRACE_MS} milliseconds`,
    shutdownForceTime: `${SHUTDOWN_FORCE_MS} milliseconds`,
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
    ...(options.workerDeployment ? { workerDeploymentOptions: options.workerDeployment } : {}),
  });
}
