/**
 * What the demo's two services (edm-web and edm-sender) share: the HTTP service around their own
 * API (fault clock, metrics, /version and /health, late faults, slow and degrading delays) and the
 * process around it (command-line checks, listening, stopping on a signal). Each server brings
 * only what differs (an EdmService): its name, its API, its own option and its startup line.
 */
import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { answerCheck, ErrorLog, isCheckPath, startBackgroundWork } from './checklist-checks.js';
import { ErrorShare, FaultClock, type FaultSettings, FORWARDED_HEADER } from './faults.js';
import { HttpMetrics, METRICS_CONTENT_TYPE } from './metrics.js';
import { type EdmBehaviour, isStrictSemver, LATE_FAULTS, VERSION_HINT } from './version.js';

/** Long enough to trip a latency check, short enough to keep a demo release moving. */
const SLOW_RESPONSE_DELAY_MS = 600;

/** Paths that report on the instance rather than serve users: late faults other than health spare them. */
const OPERATIONAL_PATHS: ReadonlySet<string> = new Set(['/health', '/metrics']);

export interface Reply {
  status: number;
  body: unknown;
}

/** One running instance, as its command line and environment describe it. */
export interface EdmInstance {
  port: number;
  version: string;
  /** What the instance serves as (edm-web's colour, edm-sender's instance name): labels its metrics, echoed by /version and /health. */
  identity: Readonly<Record<string, string>>;
  behaviour: EdmBehaviour;
  faults: FaultSettings;
}

/** What sets one demo service apart from the other. */
export interface EdmService {
  /** The program's name, prefixed to its log lines. */
  name: string;
  /** Printed after a command-line mistake. */
  usage: readonly string[];
  /** The instance the command line and environment describe; throws a message naming the option at fault. */
  readInstance(argv: string[]): EdmInstance;
  /** What the startup line says of the instance, between parentheses after its version. */
  describe(instance: EdmInstance, clock: FaultClock): string;
  /** The service's own paths, counted by name in its metrics (any other path counts as `other`). */
  paths: readonly string[];
  /** What a faulty build reports as down, e.g. "campaign store". */
  backend: string;
  /** The answer to GET `path` on the service's own API, or null for a path it does not serve. */
  route(path: string, failing: boolean): Reply | null;
  /** Why the service cannot work with its current configuration, if so: it then fails like a failing build. */
  configurationProblem?(): string | null;
}

/** A failing build's answer on its API. */
export function unavailable(backend: string): Reply {
  return { status: 500, body: { error: `${backend} unavailable` } };
}

function route(service: EdmService, instance: EdmInstance, method: string, path: string): Reply {
  const { version, identity, behaviour } = instance;
  const problem = service.configurationProblem?.() ?? null;
  const failing = behaviour === 'failing' || problem !== null;
  const notFound = { status: 404, body: { error: `no route for ${method} ${path}` } };
  if (method !== 'GET') return notFound;
  if (path === '/version') return { status: 200, body: { version, ...identity } };
  if (path === '/health') {
    return failing
      ? {
          status: 503,
          body: { status: 'failing', version, ...identity, ...(problem ? { reason: problem } : {}) },
        }
      : { status: 200, body: { status: 'ok', version, ...identity } };
  }
  return service.route(path, failing) ?? notFound;
}

/** What a late-fault build answers instead of its normal reply once its fault has begun, if anything. */
function lateFault(
  service: EdmService,
  instance: EdmInstance,
  path: string,
  errors: ErrorShare,
): Reply | null {
  const { behaviour, version, identity } = instance;
  if (behaviour === 'unhealthy-later' && path === '/health') {
    return { status: 503, body: { status: 'failing', version, ...identity } };
  }
  if (behaviour === 'errors' && !OPERATIONAL_PATHS.has(path) && errors.nextFails()) {
    return { status: 500, body: { error: `${service.backend} intermittently unavailable` } };
  }
  return null;
}

function createServer(
  service: EdmService,
  instance: EdmInstance,
): { server: http.Server; clock: FaultClock } {
  const clock = new FaultClock(instance.faults);
  const errors = new ErrorShare(instance.faults.errorShare);
  const knownPaths = new Set(['/health', '/version', '/metrics', ...service.paths]);
  const metrics = new HttpMetrics({ version: instance.version, ...instance.identity }, knownPaths);
  const errorLog = new ErrorLog();
  startBackgroundWork(instance, errorLog);
  const server = http.createServer(async (req, res) => {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', `http://${service.name}`).pathname;
    // A checklist check asks about the instance; it is not the traffic that late faults wait for.
    clock.noteRequest(req.headers[FORWARDED_HEADER] !== undefined && !isCheckPath(path));
    res.once('finish', () => {
      metrics.observe(path, res.statusCode, (performance.now() - started) / 1000);
      if (!isCheckPath(path)) errorLog.noteAnswer(path, res.statusCode);
    });
    if (method === 'GET' && isCheckPath(path)) {
      const reply = await answerCheck(path, instance, errorLog);
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.body));
      return;
    }
    if (method === 'GET' && path === '/metrics' && instance.behaviour !== 'no-metrics') {
      res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
      res.end(metrics.render());
      return;
    }
    const faulty = LATE_FAULTS.has(instance.behaviour) && clock.faultBegun;
    if (instance.behaviour === 'slow') await delay(SLOW_RESPONSE_DELAY_MS);
    if (faulty && instance.behaviour === 'degrading' && !OPERATIONAL_PATHS.has(path)) {
      await delay(instance.faults.degradedDelayMs);
    }
    // A slow reply may outlive its client (or a SIGTERM); writing to it then is pointless.
    if (res.destroyed) return;
    const reply =
      (faulty ? lateFault(service, instance, path, errors) : null) ?? route(service, instance, method, path);
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply.body));
  });
  return { server, clock };
}

/**
 * Reads the command line of a demo service: `--port` and `--version`, checked here, and the
 * service's own `--<option>`, left to the service to check.
 */
export function readCommandLine(
  argv: string[],
  option: string,
): { port: number; version: string; value: string | undefined } {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, version: { type: 'string' }, [option]: { type: 'string' } },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`--port must be a TCP port between 1 and 65535, got ${values.port ?? 'nothing'}`);
  }
  const version = values.version ?? '';
  if (!isStrictSemver(version)) throw new Error(`--version must be ${VERSION_HINT}, got "${version}"`);
  return { port, version, value: values[option] };
}

/** On a command-line mistake: prints it with the usage and exits with status 2. */
function readInstanceOrExit(service: EdmService): EdmInstance {
  try {
    return service.readInstance(process.argv.slice(2));
  } catch (error) {
    console.error(`${service.name}: ${error instanceof Error ? error.message : String(error)}`);
    for (const line of service.usage) console.error(line);
    process.exit(2);
  }
}

function stopOnSignals(server: http.Server): void {
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/**
 * Runs `service` as this process: serves it on 127.0.0.1 until SIGTERM or SIGINT (exit 0), exits 2
 * on a command-line mistake and 1 if its port is taken. The startup line reads
 * `<name> <version> (<describe>) listening on http://127.0.0.1:<port> pid <pid>`.
 */
export function runEdmService(service: EdmService): void {
  const instance = readInstanceOrExit(service);
  const { server, clock } = createServer(service, instance);
  server.on('error', (error: NodeJS.ErrnoException) => {
    console.error(
      `${service.name}: cannot listen on 127.0.0.1:${instance.port}: ${error.code ?? error.message}`,
    );
    process.exit(1);
  });
  server.listen(instance.port, '127.0.0.1', () => {
    clock.noteListening();
    console.log(
      `${service.name} ${instance.version} (${service.describe(instance, clock)}) listening on http://127.0.0.1:${instance.port} pid ${process.pid}`,
    );
  });
  stopOnSignals(server);
}
