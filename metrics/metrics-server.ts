// The HTTP listener behind one process role's /metrics: Prometheus's text format, nothing else. It
// binds before the process does anything else, so an address already taken stops the start with a
// message instead of leaving a scrape target that silently never answers.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { METRICS_LISTEN_ENV } from '../config/environment-overrides.js';
import type { Logger } from '../logging/logger.js';
import { type ListenAddress, type MetricsRole, urlOf } from './listen-address.js';

export interface MetricsExposition {
  contentType: string;
  body: string;
}

export interface MetricsEndpoint {
  /** Where it answers, with the port taken when port 0 was asked. */
  url: string;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  role: MetricsRole;
  listen: ListenAddress;
  render(): Promise<MetricsExposition>;
  logger: Logger;
}

/** Binds `listen` and serves GET /metrics; rejects with an actionable message when it cannot bind. */
export function serveMetrics(options: MetricsServerOptions): Promise<MetricsEndpoint> {
  const { role, listen, logger } = options;
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('only /metrics is served here\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end();
      return;
    }
    options.render().then(
      (exposition) => {
        response.writeHead(200, { 'content-type': exposition.contentType });
        response.end(request.method === 'HEAD' ? undefined : exposition.body);
      },
      (error: unknown) => {
        logger.error({ err: String(error), role }, 'could not render the metrics');
        response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
      },
    );
  });
  // A scrape is one short request; idle keep-alive connections must not hold a shutdown open.
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(bindError(role, listen, error)));
    server.listen({ host: listen.host, port: listen.port, exclusive: true }, () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: urlOf({ host: listen.host, port }, '/metrics'), close: () => closeServer(server) });
    });
  });
}

function bindError(role: MetricsRole, listen: ListenAddress, error: NodeJS.ErrnoException): Error {
  const where = `metrics.listen.${role} in runway.yml or ${METRICS_LISTEN_ENV[role]}`;
  const why: Record<string, string> = {
    EADDRINUSE: 'the address is already in use (another Runway process, or another program, listens there)',
    EADDRNOTAVAIL: 'no network interface of this host has that address',
    EACCES: 'this user may not bind that port',
  };
  const reason = why[error.code ?? ''] ?? error.message;
  const process = role === 'api' ? 'the API' : 'the worker';
  return new Error(`cannot serve ${process}'s /metrics on ${listen.text}: ${reason}; set ${where}`, {
    cause: error,
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
