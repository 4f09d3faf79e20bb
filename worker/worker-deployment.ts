// Worker versioning (Temporal worker deployments): releases wait at gates for days, and a new
// Runway version may change what the release workflow does. A worker started with a build id
// (RUNWAY_WORKER_BUILD_ID) polls as that version of the `runway` deployment, and every release it
// starts is PINNED to it: it runs to its end on workers of the build it started on, whatever
// became current meanwhile. A new build takes new releases once it is made current
// (setCurrentBuild); the old build's workers may stop once its drainage status says DRAINED.
// Without a build id a worker is unversioned, as the dev stack's is, and patched() is the policy.
import type { Connection } from '@temporalio/client';
// The package is CommonJS: Node's ESM loader sees only its default export.
import proto from '@temporalio/proto';
import type { WorkerDeploymentOptions } from '@temporalio/worker';

export const WORKER_BUILD_ID_ENV = 'RUNWAY_WORKER_BUILD_ID';
export const WORKER_DEPLOYMENT_ENV = 'RUNWAY_WORKER_DEPLOYMENT';
export const DEFAULT_DEPLOYMENT_NAME = 'runway';
const BUILD_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The worker's deployment version from its environment; undefined: an unversioned worker. */
export function workerDeploymentFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): WorkerDeploymentOptions | undefined {
  const buildId = env[WORKER_BUILD_ID_ENV];
  if (!buildId) return undefined;
  if (!BUILD_ID.test(buildId)) {
    throw new Error(
      `${WORKER_BUILD_ID_ENV} is not a build id (letters, digits, . _ -; up to 64): ${buildId}`,
    );
  }
  const deploymentName = env[WORKER_DEPLOYMENT_ENV] || DEFAULT_DEPLOYMENT_NAME;
  if (!BUILD_ID.test(deploymentName))
    throw new Error(`${WORKER_DEPLOYMENT_ENV} is not a deployment name: ${deploymentName}`);
  return {
    version: { deploymentName, buildId },
    useWorkerVersioning: true,
    defaultVersioningBehavior: 'PINNED',
  };
}

export interface BuildStatus {
  buildId: string;
  current: boolean;
  /** draining: releases still pinned to it run; drained: none, its workers may stop. */
  drainage: 'draining' | 'drained' | 'unknown';
}

/** Makes `buildId` take every release started from now on (its workers must be polling). */
export async function setCurrentBuild(
  connection: Connection,
  namespace: string,
  buildId: string,
  deploymentName = DEFAULT_DEPLOYMENT_NAME,
): Promise<void> {
  await connection.workflowService.setWorkerDeploymentCurrentVersion({
    namespace,
    deploymentName,
    buildId,
    identity: 'runway-deployment-tool',
  });
}

const DRAINAGE = proto.temporal.api.enums.v1.VersionDrainageStatus;

/** Each build the deployment knows, whether it is current, and whether releases still run on it. */
export async function deploymentBuilds(
  connection: Connection,
  namespace: string,
  deploymentName = DEFAULT_DEPLOYMENT_NAME,
): Promise<BuildStatus[]> {
  const { workerDeploymentInfo } = await connection.workflowService.describeWorkerDeployment({
    namespace,
    deploymentName,
  });
  const current = workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId;
  return (workerDeploymentInfo?.versionSummaries ?? []).map((summary) => {
    const buildId = summary.deploymentVersion?.buildId ?? summary.version?.split('.').pop() ?? '';
    const drainage =
      summary.drainageInfo?.status === DRAINAGE.VERSION_DRAINAGE_STATUS_DRAINED ||
      summary.drainageStatus === DRAINAGE.VERSION_DRAINAGE_STATUS_DRAINED
        ? 'drained'
        : summary.drainageInfo?.status === DRAINAGE.VERSION_DRAINAGE_STATUS_DRAINING ||
            summary.drainageStatus === DRAINAGE.VERSION_DRAINAGE_STATUS_DRAINING
          ? 'draining'
          : 'unknown';
    return { buildId, current: buildId === current, drainage };
  });
}
