import { createServer } from 'node:net';

/**
 * Asks the OS for a currently free TCP port. Another process can still take it before the caller
 * binds it, so callers that start servers should be ready to retry.
 */
export function getFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`Unexpected listen address ${String(address)}`));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/** True when nothing listens on host:port right now (binding it succeeds). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Ports handed out by freePortBelowEphemeral in this process, not yet bound by their servers. */
const handedOut = new Set<number>();

/**
 * A free port under Linux's ephemeral range (32768 and up): Temporal keeps membership ports as a
 * PostgreSQL smallint, and a port below the range is never some outgoing connection's local port.
 */
export async function freePortBelowEphemeral(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port) || !(await isPortFree(port, host))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('found no free port between 20000 and 32000');
}
