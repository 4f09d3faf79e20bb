// One address in front of several backends (the Temporal frontends, the API replicas): each new
// connection goes to the next backend in turn, and to the one after when a backend refuses it, so
// a node that died costs a client one reconnect, not its address. Bytes pass through untouched:
// TLS is end to end between the client and the backend.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Backend {
  host: string;
  port: number;
}

export interface TcpBalancer {
  /** host:port clients connect to. */
  address: string;
  port: number;
  /** Connections handed to each backend so far, by "host:port". */
  handedOut(): Record<string, number>;
  close(): Promise<void>;
}

const CONNECT_TIMEOUT_MS = 2_000;

function connectTo(backend: Backend): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: backend.host, port: backend.port });
    const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), CONNECT_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Listens on `host:port` (port 0: a free one) and spreads connections over `backends`. */
export function startTcpBalancer(backends: Backend[], port = 0, host = '127.0.0.1'): Promise<TcpBalancer> {
  let next = 0;
  const counts = new Map<string, number>();
  const open = new Set<Socket>();
  const pick = async (): Promise<Socket | undefined> => {
    for (let tried = 0; tried < backends.length; tried++) {
      const backend = backends[next++ % backends.length] as Backend;
      try {
        const socket = await connectTo(backend);
        const key = `${backend.host}:${backend.port}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        return socket;
      } catch {
        // Refused or timed out: that backend is down; the next one gets the client.
      }
    }
    return undefined;
  };
  const server: Server = createServer((client) => {
    open.add(client);
    client.once('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    void pick().then((upstream) => {
      if (!upstream || client.destroyed) {
        upstream?.destroy();
        client.destroy();
        return;
      }
      open.add(upstream);
      upstream.once('close', () => {
        open.delete(upstream);
        client.destroy();
      });
      upstream.on('error', () => upstream.destroy());
      client.once('close', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const bound = (server.address() as { port: number }).port;
      resolve({
        address: `${host}:${bound}`,
        port: bound,
        handedOut: () => Object.fromEntries(counts),
        close: () =>
          new Promise<void>((done) => {
            for (const socket of open) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
