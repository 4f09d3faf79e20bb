import http from 'node:http';
import type { ActiveBackend } from './environment.js';
import { closeServer, listenLocally, sendJson } from './http-server.js';

export const COLOUR_HEADER = 'x-edm-colour';

/** Connection-scoped headers that describe one hop and must not be forwarded to the next. */
const HOP_BY_HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function endToEndHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const forwarded: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP_HEADERS.has(name)) forwarded[name] = value;
  }
  return forwarded;
}

/**
 * Names the client to the instance, as proxies do; edm-web also reads it as "this is user traffic",
 * which starts the clock of its late-fault builds (demo/edm-web/faults.ts).
 */
function forwardedFor(req: http.IncomingMessage): string {
  const client = req.socket.remoteAddress ?? 'unknown';
  const earlier = req.headers['x-forwarded-for'];
  return earlier === undefined ? client : `${earlier}, ${client}`;
}

export interface TrafficProxy {
  port: number;
  close(): Promise<void>;
}

/**
 * The environment's front door: every request goes to whichever colour is active at the
 * moment it arrives, so switching is a single assignment in the agent and takes effect on
 * the next request.
 */
export async function startTrafficProxy(
  environment: string,
  port: number,
  activeBackend: () => ActiveBackend,
): Promise<TrafficProxy> {
  // No keep-alive to instances: a pooled socket would pin a request to a colour after a switch.
  const upstreamAgent = new http.Agent({ keepAlive: false });
  const server = http.createServer((req, res) =>
    forward(environment, activeBackend(), upstreamAgent, req, res),
  );
  const boundPort = await listenLocally(server, port, `${environment} proxy`);
  return {
    port: boundPort,
    async close() {
      await closeServer(server);
      upstreamAgent.destroy();
    },
  };
}

function forward(
  environment: string,
  backend: ActiveBackend,
  agent: http.Agent,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): void {
  if (backend.colour === null) {
    // 503, not 502: nothing is broken, the environment simply has nothing deployed (or it was retired).
    sendJson(res, 503, { error: `nothing is deployed in ${environment}` });
    return;
  }
  const colourHeader = { [COLOUR_HEADER]: backend.colour };
  if (backend.port === null) {
    sendJson(
      res,
      502,
      { error: `no running instance for the active colour ${backend.colour} in ${environment}` },
      colourHeader,
    );
    return;
  }
  relay(backend.port, `${backend.colour} instance in ${environment}`, colourHeader, agent, req, res);
}

/** Passes one request to the instance on `port` and its answer back, marked with `marker`. */
function relay(
  port: number,
  label: string,
  marker: http.OutgoingHttpHeaders,
  agent: http.Agent,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): void {
  const upstream = http.request({
    host: '127.0.0.1',
    port,
    method: req.method,
    path: req.url,
    headers: { ...endToEndHeaders(req.headers), 'x-forwarded-for': forwardedFor(req) },
    agent,
  });
  upstream.on('response', (answer) => {
    res.writeHead(answer.statusCode ?? 502, { ...endToEndHeaders(answer.headers), ...marker });
    answer.pipe(res);
  });
  upstream.on('error', (error) => {
    // Once the answer has started (or the client has gone) all that is left is to cut the connection.
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    sendJson(res, 502, { error: `${label} did not answer: ${error.message}` }, marker);
  });
  // A client that goes away should not leave a request running against the instance.
  res.on('close', () => upstream.destroy());
  req.pipe(upstream);
}

export const INSTANCE_HEADER = 'x-edm-instance';

/**
 * A rolling service's front door: each request goes to the next healthy instance, round-robin, so
 * an instance being updated (stopped, or failing its health check) takes no requests.
 */
export async function startPoolProxy(
  environment: string,
  service: string,
  port: number,
  nextBackend: () => { instance: string; port: number } | null,
): Promise<TrafficProxy> {
  const upstreamAgent = new http.Agent({ keepAlive: false });
  const server = http.createServer((req, res) => {
    const backend = nextBackend();
    if (backend === null) {
      sendJson(res, 502, { error: `no healthy ${service} instance in ${environment}` });
      return;
    }
    const label = `${service} instance ${backend.instance} in ${environment}`;
    relay(backend.port, label, { [INSTANCE_HEADER]: backend.instance }, upstreamAgent, req, res);
  });
  const boundPort = await listenLocally(server, port, `${environment} ${service} proxy`);
  return {
    port: boundPort,
    async close() {
      await closeServer(server);
      upstreamAgent.destroy();
    },
  };
}
