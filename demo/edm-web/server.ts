import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { type Colour, colourSchema } from '../target/model.js';
import { ErrorShare, FaultClock, type FaultSettings, FORWARDED_HEADER, readFaultSettings } from './faults.js';
import { HttpMetrics, METRICS_CONTENT_TYPE } from './metrics.js';
import { behaviourOf, type EdmBehaviour, isStrictSemver, LATE_FAULTS, VERSION_HINT } from './version.js';

/** Long enough to trip a latency check, short enough to keep a demo release moving. */
const SLOW_RESPONSE_DELAY_MS = 600;

/** Paths that report on the instance rather than serve users: late faults other than health spare them. */
const OPERATIONAL_PATHS: ReadonlySet<string> = new Set(['/health', '/metrics']);
const KNOWN_PATHS: ReadonlySet<string> = new Set(['/health', '/version', '/metrics', '/api/campaigns']);

const CAMPAIGNS = [
  { id: 'cmp-001', name: 'Spring newsletter', status: 'sent', recipients: 12840 },
  { id: 'cmp-002', name: 'Abandoned basket reminder', status: 'scheduled', recipients: 3120 },
  { id: 'cmp-003', name: 'Product launch teaser', status: 'draft', recipients: 0 },
];

interface ServiceConfig {
  port: number;
  version: string;
  colour: Colour;
  behaviour: EdmBehaviour;
  faults: FaultSettings;
}

interface Reply {
  status: number;
  body: unknown;
}

class UsageError extends Error {}

function readConfig(argv: string[]): ServiceConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      version: { type: 'string' },
      colour: { type: 'string' },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`--port must be a TCP port between 1 and 65535, got ${values.port ?? 'nothing'}`);
  }
  const version = values.version ?? '';
  if (!isStrictSemver(version)) {
    throw new UsageError(`--version must be ${VERSION_HINT}, got "${version}"`);
  }
  const colour = colourSchema.safeParse(values.colour);
  if (!colour.success) {
    throw new UsageError(`--colour must be blue or green, got ${values.colour ?? 'nothing'}`);
  }
  let faults: FaultSettings;
  try {
    faults = readFaultSettings(process.env);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  return { port, version, colour: colour.data, behaviour: behaviourOf(version), faults };
}

function route(config: ServiceConfig, method: string, path: string): Reply {
  const { version, colour, behaviour } = config;
  if (method !== 'GET') return { status: 404, body: { error: `no route for ${method} ${path}` } };
  if (path === '/version') return { status: 200, body: { version, colour } };
  if (path === '/health') {
    return behaviour === 'failing'
      ? { status: 503, body: { status: 'failing', version, colour } }
      : { status: 200, body: { status: 'ok', version, colour } };
  }
  if (path === '/api/campaigns') {
    return behaviour === 'failing'
      ? { status: 500, body: { error: 'campaign store unavailable' } }
      : { status: 200, body: CAMPAIGNS };
  }
  if (path.startsWith('/api/') && behaviour === 'failing') {
    return { status: 500, body: { error: 'campaign store unavailable' } };
  }
  return { status: 404, body: { error: `no route for ${method} ${path}` } };
}

/** What a late-fault build answers instead of its normal reply once its fault has begun, if anything. */
function lateFault(config: ServiceConfig, path: string, errors: ErrorShare): Reply | null {
  const { behaviour, version, colour } = config;
  if (behaviour === 'unhealthy-later' && path === '/health') {
    return { status: 503, body: { status: 'failing', version, colour } };
  }
  if (behaviour === 'errors' && !OPERATIONAL_PATHS.has(path) && errors.nextFails()) {
    return { status: 500, body: { error: 'campaign store intermittently unavailable' } };
  }
  return null;
}

interface EdmService {
  server: http.Server;
  clock: FaultClock;
}

function createService(config: ServiceConfig): EdmService {
  const clock = new FaultClock(config.faults);
  const errors = new ErrorShare(config.faults.errorShare);
  const metrics = new HttpMetrics({ version: config.version, colour: config.colour }, KNOWN_PATHS);
  const server = http.createServer(async (req, res) => {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://edm-web').pathname;
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
    // A slow reply may outlive its client (or a SIGTERM); writing to it then is pointless.
    if (res.destroyed) return;
    const reply = (faulty ? lateFault(config, path, errors) : null) ?? route(config, method, path);
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply.body));
  });
  return { server, clock };
}

function stopOnSignals(server: http.Server): void {
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

function main(): void {
  let config: ServiceConfig;
  try {
    config = readConfig(process.argv.slice(2));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`edm-web: ${message}`);
    console.error('usage: server.ts --port PORT --version SEMVER --colour blue|green');
    console.error(
      'environment: EDM_FAULT_AFTER_MS EDM_FAULT_CLOCK=start|traffic EDM_ERROR_SHARE EDM_DEGRADED_DELAY_MS',
    );
    process.exit(2);
  }
  const { server, clock } = createService(config);
  server.on('error', (error: NodeJS.ErrnoException) => {
    console.error(`edm-web: cannot listen on 127.0.0.1:${config.port}: ${error.code ?? error.message}`);
    process.exit(1);
  });
  server.listen(config.port, '127.0.0.1', () => {
    clock.noteListening();
    const faults = LATE_FAULTS.has(config.behaviour) ? `, ${clock.describe()}` : '';
    console.log(
      `edm-web ${config.version} (${config.colour}, ${config.behaviour}${faults}) listening on http://127.0.0.1:${config.port} pid ${process.pid}`,
    );
  });
  stopOnSignals(server);
}

main();
