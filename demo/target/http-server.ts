import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DemoTargetError } from './model.js';

const MAX_BODY_BYTES = 64 * 1024;

/** Listen on 127.0.0.1 only: the demo target runs real processes and must not be reachable from the network. */
export function listenLocally(server: http.Server, port: number, purpose: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new Error(`cannot listen on 127.0.0.1:${port} for the ${purpose}: ${error.code ?? error.message}`),
      );
    };
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Close now, including idle keep-alive and in-flight connections, rather than waiting on clients. */
export function closeServer(server: http.Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** `whenEmpty` is what an empty body means; without it an empty body is refused. */
export async function readJsonBody(req: http.IncomingMessage, whenEmpty?: unknown): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new DemoTargetError(400, `request body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '' && whenEmpty !== undefined) return whenEmpty;
  if (text.trim() === '') throw new DemoTargetError(400, 'request body is empty; expected a JSON object');
  try {
    return JSON.parse(text);
  } catch {
    throw new DemoTargetError(400, 'request body is not valid JSON');
  }
}
