// The API and a worker in one process (`npm start`, the test stack): each keeps its own registry and
// its own /metrics listener, as when they run apart, so Prometheus scrapes them the same way.
import type pg from 'pg';
import type { RunwaySettings } from '../config/config-schema.js';
import type { Logger } from '../logging/logger.js';
import { ApiMetrics } from './api-metrics.js';
import { metricsAddressFor } from './listen-address.js';
import { type MetricsEndpoint, serveApiMetrics, serveWorkerMetrics } from './metrics-endpoints.js';
import { WorkerMetrics } from './worker-metrics.js';

export interface RunwayMetrics {
  api: ApiMetrics;
  worker: WorkerMetrics;
  /** Where each /metrics answers (the ports taken, when port 0 was configured). */
  urls: { api: string; worker: string };
  close(): Promise<void>;
}

export async function serveRunwayMetrics(
  settings: Pick<RunwaySettings, 'api' | 'metrics'>,
  deps: { pool: Pick<pg.Pool, 'query'>; logger: Logger },
): Promise<RunwayMetrics> {
  const apiAddress = metricsAddressFor(settings, 'api');
  const workerAddress = metricsAddressFor(settings, 'worker');
  if (apiAddress.port !== 0 && apiAddress.text === workerAddress.text) {
    throw new Error(
      `metrics.listen.api and metrics.listen.worker are both ${apiAddress.text}: the API and the worker each serve their own /metrics`,
    );
  }
  const logger = deps.logger.child({ component: 'metrics' });
  const api = new ApiMetrics({ pool: deps.pool, logger });
  const worker = new WorkerMetrics();
  const apiEndpoint = await serveApiMetrics({ listen: apiAddress, metrics: api, logger });
  let workerEndpoint: MetricsEndpoint;
  try {
    workerEndpoint = await serveWorkerMetrics({ listen: workerAddress, metrics: worker, logger });
  } catch (error) {
    await apiEndpoint.close();
    throw error;
  }
  return {
    api,
    worker,
    urls: { api: apiEndpoint.url, worker: workerEndpoint.url },
    close: async () => {
      await Promise.all([apiEndpoint.close(), workerEndpoint.close()]);
    },
  };
}
