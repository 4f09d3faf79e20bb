// Puts the hono app on a Node HTTP server, or an HTTPS one that speaks TLS 1.3 only.
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { serve } from '@hono/node-server';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './app-env.js';

export interface RunningApi {
  url: string;
  /** Stops listening; requests still running get `graceMs` (default 5 s), then their connections are cut. */
  close(graceMs?: number): Promise<void>;
}

const CLOSE_GRACE_MS = 5_000;

export interface ServeOptions {
  /** 127.0.0.1 keeps the API on this machine; 0.0.0.0 exposes it (in a container, say). */
  hostname?: string;
  /**
   * PEM certificate (and any intermediates) and key: HTTPS with TLS 1.3 only, as the deployment
   * standard asks (传输加密: TLS 1.3); a client that offers only TLS 1.2 is refused at the handshake.
   */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/** Resolves once the server listens; port 0 picks a free port, which `url` then names. */
export function serveApi(
  app: Pick<OpenAPIHono<AppEnv>, 'fetch'>,
  port: number,
  options: ServeOptions = {},
): Promise<RunningApi> {
  const hostname = options.hostname ?? '127.0.0.1';
  const { tls } = options;
  const https = tls
    ? {
        createServer: createHttpsServer,
        serverOptions: { cert: tls.cert, key: tls.key, minVersion: 'TLSv1.3' as const },
      }
    : {};
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname, ...https }, (info) => {
      server.off('error', reject);
      resolve({
        url: `${tls ? 'https' : 'http'}://${reachableHost(hostname)}:${info.port}`,
        // A request waiting on something that never answers (a workflow, the database) must not
        // hold a shutdown open: after the grace, its connection is cut.
        close: (graceMs = CLOSE_GRACE_MS) =>
          new Promise<void>((done, fail) => {
            const cut = setTimeout(() => (server as Server).closeAllConnections(), graceMs);
            server.close((error) => {
              clearTimeout(cut);
              if (error) fail(error);
              else done();
            });
          }),
      });
    });
    // Port taken, address not available: the caller hears about it instead of a process crash.
    server.once('error', reject);
  });
}

/** A wildcard address is where the server listens, not where a client can reach it. */
function reachableHost(hostname: string): string {
  if (hostname === '0.0.0.0') return '127.0.0.1';
  if (hostname === '::') return '[::1]';
  return hostname.includes(':') ? `[${hostname}]` : hostname;
}
