/**
 * edm-sender: the demo's second service, the mail sender behind edm-web, updated instance by
 * instance (R-RB-ROLLING). One process is one instance; the demo target runs several per
 * environment behind a round-robin proxy. It honours edm-web's build metadata (`+failing`, `+slow`,
 * `+errors`, `+degrading`, `+unhealthy-later`, demo/edm-web/version.ts) and one of its own:
 * `+failing-on-<instance>` fails only on the instance of that name, as a build that breaks on one
 * host only, so a rolling update passes its first batches and fails a later one.
 */
import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  ErrorShare,
  FaultClock,
  type FaultSettings,
  FORWARDED_HEADER,
  readFaultSettings,
} from '../edm-web/faults.js';
import { HttpMetrics, METRICS_CONTENT_TYPE } from '../edm-web/metrics.js';
import { type EdmBehaviour, isStrictSemver, LATE_FAULTS, VERSION_HINT } from '../edm-web/version.js';
import { INSTANCE_NAME_PATTERN, senderBehaviour } from './behaviour.js';

/** Long enough to trip a latency check, short enough to keep a demo release moving. */
const SLOW_RESPONSE_DELAY_MS = 600;
const OPERATIONAL_PATHS: ReadonlySet<string> = new Set(['/health', '/metrics']);
const KNOWN_PATHS: ReadonlySet<string> = new Set(['/health', '/version', '/metrics', '/api/sends']);

const SENDS = [
  { id: 'snd-101', campaign: 'cmp-001', accepted: 12790, bounced: 50 },
  { id: 'snd-102', campaign: 'cmp-002', accepted: 3100, bounced: 20 },
];

interface SenderConfig {
  port: number;
  version: string;
  instance: string;
  behaviour: EdmBehaviour;
  faults: FaultSettings;
}

interface Reply {
  status: number;
  body: unknown;
}

function readConfig(argv: string[]): SenderConfig {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, version: { type: 'string' }, instance: { type: 'string' } },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`--port must be a TCP port between 1 and 65535, got ${values.port ?? 'nothing'}`);
  }
  const version = values.version ?? '';
  if (!isStrictSemver(version)) throw new Error(`--version must be ${VERSION_HINT}, got "${version}"`);
  const instance = values.instance ?? '';
  if (!INSTANCE_NAME_PATTERN.test(instance)) {
    throw new Error(`--instance must be a name matching ${INSTANCE_NAME_PATTERN.source}, got "${instance}"`);
  }
  return {
    port,
    version,
    instance,
    behaviour: senderBehaviour(version, instance),
    faults: readFaultSettings(process.env),
  };
}

function route(config: SenderConfig, method: string, path: string): Reply {
  const { version, instance, behaviour } = config;
  const failing = behaviour === 'failing';
  if (method !== 'GET') return { status: 404, body: { error: `no route for ${method} ${path}` } };
  if (path === '/version') return { status: 200, body: { version, instance } };
  if (path === '/health') {
    return { status: failing ? 503 : 200, body: { status: failing ? 'failing' : 'ok', version, instance } };
  }
  if (path === '/api/sends') {
    return failing
      ? { status: 500, body: { error: 'mail relay unavailable' } }
      : { status: 200, body: SENDS };
  }
  return { status: 404, body: { error: `no route for ${method} ${path}` } };
}

/** What a late-fault build answers instead of its normal reply once its fault has begun, if anything. */
function lateFault(config: SenderConfig, path: string, errors: ErrorShare): Reply | null {
  const { behaviour, version, instance } = config;
  if (behaviour === 'unhealthy-later' && path === '/health') {
    return { status: 503, body: { status: 'failing', version, instance } };
  }
  if (behaviour === 'errors' && !OPERATIONAL_PATHS.has(path) && errors.nextFails()) {
    return { status: 500, body: { error: 'mail relay intermittently unavailable' } };
  }
  return null;
}

function createSender(config: SenderConfig): { server: http.Server; clock: FaultClock } {
  const clock = new FaultClock(config.faults);
  const errors = new ErrorShare(config.faults.errorShare);
  const metrics = new HttpMetrics({ version: config.version, instance: config.instance }, KNOWN_PATHS);
  const server = http.createServer(async (req, res) => {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://edm-sender').pathname;
    clock.noteRequest(req.headers[FORWARDED_HEADER] !== undefined);
    res.once('finish', () => metrics.observe(path, res.statusCode, (performance.now() - started) / 1000));
    if (method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
      res.end(metrics.render());
      return;
    }
    const faulty = LATE_FAULTS.has(config.behaviour) && clock.faultBegun;
    if (config.behaviour === 'slow') await delay(SLOW_RESPONSE_DELAY_MS);
    if (faulty && config.behaviour === 'degrading' && !OPERATIONAL_PATHS.has(path)) {
      await delay(config.faults.degradedDelayMs);
    }
    if (res.destroyed) return;
    const reply = (faulty ? lateFault(config, path, errors) : null) ?? route(config, method, path);
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply.body));
  });
  return { server, clock };
}

function main(): void {
  let config: SenderConfig;
  try {
    config = readConfig(process.argv.slice(2));
  } catch (error) {
    console.error(`edm-sender: ${error instanceof Error ? error.message : String(error)}`);
    console.error('usage: server.ts --port PORT --version SEMVER --instance NAME');
    process.exit(2);
  }
  const { server, clock } = createSender(config);
  server.on('error', (error: NodeJS.ErrnoException) => {
    console.error(`edm-sender: cannot listen on 127.0.0.1:${config.port}: ${error.code ?? error.message}`);
    process.exit(1);
  });
  server.listen(config.port, '127.0.0.1', () => {
    clock.noteListening();
    console.log(
      `edm-sender ${config.version} (${config.instance}, ${config.behaviour}) listening on http://127.0.0.1:${config.port} pid ${process.pid}`,
    );
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main();
