// Each process role's /metrics: the API's registry, and a worker's registry followed by the Temporal
// SDK's own worker metrics, so one scrape per worker gets both.
import type { Logger } from '../logging/logger.js';
import type { ApiMetrics } from './api-metrics.js';
import type { ListenAddress } from './listen-address.js';
import { type MetricsEndpoint, serveMetrics } from './metrics-server.js';
import { readTemporalSdkMetrics } from './temporal-sdk-metrics.js';
import type { WorkerMetrics } from './worker-metrics.js';

export type { MetricsEndpoint } from './metrics-server.js';

export function serveApiMetrics(options: {
  listen: ListenAddress;
  metrics: ApiMetrics;
  logger: Logger;
}): Promise<MetricsEndpoint> {
  const { registry } = options.metrics;
  return serveMetrics({
    role: 'api',
    listen: options.listen,
    logger: options.logger,
    render: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  });
}

export function serveWorkerMetrics(options: {
  listen: ListenAddress;
  metrics: WorkerMetrics;
  logger: Logger;
}): Promise<MetricsEndpoint> {
  const { metrics } = options;
  return serveMetrics({
    role: 'worker',
    listen: options.listen,
    logger: options.logger,
    render: async () => ({
      contentType: metrics.registry.contentType,
      body: await metrics.exposition(await readTemporalSdkMetrics()),
    }),
  });
}
