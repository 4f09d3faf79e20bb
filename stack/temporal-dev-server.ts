// Runs `temporal server start-dev` (the Temporal CLI's all-in-one server with SQLite and the Web UI)
// for the local stack and for integration tests.
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { defineSearchAttributeKey, type SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { isPortFree } from './free-port.js';
import { forgetProcess, recordProcess, spawnServer } from './owned-processes.js';
import { resolveTemporalCli } from './temporal-binaries.js';

/** Search attribute types as the CLI's `--search-attribute Name=Type` spells them. */
export type DevServerSearchAttributeType =
  | 'Keyword'
  | 'Text'
  | 'Int'
  | 'Double'
  | 'Bool'
  | 'Datetime'
  | 'KeywordList';

export interface DevServerOptions {
  /** Frontend gRPC port. */
  port: number;
  /** Web UI port; defaults to port + 1000 unless headless. */
  uiPort?: number;
  headless?: boolean;
  /**
   * The remote codec Temporal Web asks to decode payloads (Runway's API at /codec), so the
   * encrypted histories read in clear in the browser. Ignored when headless.
   */
  uiCodecEndpoint?: string;
  /** SQLite file to persist to; without it all state is lost when the server stops. */
  dbFile?: string;
  /** Namespace to create and check; defaults to `default`. */
  namespace?: string;
  searchAttributes?: Record<string, DevServerSearchAttributeType>;
  /** File the server's output is appended to. */
  logFile?: string;
  log?: (line: string) => void;
  /** Address to bind the frontend and the UI to; defaults to 127.0.0.1. */
  ip?: string;
  /** Where to record the server's pid and start time while it runs (see owned-processes.ts). */
  pidFile?: string;
}

export interface DevServer {
  /** host:port of the frontend gRPC service. */
  address: string;
  namespace: string;
  uiUrl?: string;
  /** Process id of the server (absent when the SDK started it). */
  pid?: number;
  stop(): Promise<void>;
}

// The SDK's own readiness wait is 5 s, too short for a loaded 2-core machine.
const READY_TIMEOUT_MS = 60_000;
const READY_POLL_INTERVAL_MS = 250;
const PROBE_TIMEOUT_MS = 3_000;
const STOP_GRACE_MS = 5_000;
const OUTPUT_HEAD_LINES = 10;
const OUTPUT_TAIL_LINES = 40;

const SEARCH_ATTRIBUTE_TYPES: Record<DevServerSearchAttributeType, SearchAttributeType> = {
  Keyword: 'KEYWORD',
  Text: 'TEXT',
  Int: 'INT',
  Double: 'DOUBLE',
  Bool: 'BOOL',
  Datetime: 'DATETIME',
  KeywordList: 'KEYWORD_LIST',
};

// Same dynamic config the SDK's createLocal() passes, so tests and the local stack behave alike.
const DYNAMIC_CONFIG = [
  'frontend.enableServerVersionCheck=false',
  'frontend.enableUpdateWorkflowExecution=true',
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
];

export async function startTemporalDevServer(o: DevServerOptions): Promise<DevServer> {
  const cli = resolveTemporalCli();
  if (cli === undefined) {
    o.log?.(
      'No local Temporal CLI found (see scripts/install-temporal-binaries.mjs); using the SDK download',
    );
    return startWithSdkDownload(o);
  }
  return startWithCli(cli, o);
}

function uiPortOf(o: DevServerOptions): number | undefined {
  return o.headless ? undefined : (o.uiPort ?? o.port + 1000);
}

function cliArguments(o: DevServerOptions, namespace: string): string[] {
  const uiPort = uiPortOf(o);
  const args = ['server', 'start-dev', '--port', String(o.port), '--ip', o.ip ?? '127.0.0.1'];
  args.push('--namespace', namespace, '--log-level', 'warn', '--log-format', 'pretty');
  args.push(...(uiPort === undefined ? ['--headless'] : ['--ui-port', String(uiPort), ...uiArguments(o)]));
  if (o.dbFile) args.push('--db-filename', o.dbFile);
  for (const [name, type] of Object.entries(o.searchAttributes ?? {})) {
    args.push('--search-attribute', `${name}=${type}`);
  }
  for (const value of DYNAMIC_CONFIG) args.push('--dynamic-config-value', value);
  return args;
}

// The UI's newsfeed is fetched from the internet, which a test machine may not reach.
function uiArguments(o: DevServerOptions): string[] {
  const args = ['--ui-disable-news-fetch'];
  if (o.uiCodecEndpoint) args.push('--ui-codec-endpoint', o.uiCodecEndpoint);
  return args;
}

/**
 * Keeps the first and the last lines of the server's output for error messages (a panic names its
 * cause first, then prints a long stack), and forwards every line.
 */
class ServerOutput {
  private readonly head: string[] = [];
  private readonly lines: string[] = [];
  private dropped = 0;
  private readonly file: WriteStream | undefined;

  constructor(
    logFile: string | undefined,
    private readonly log: ((line: string) => void) | undefined,
  ) {
    if (logFile) {
      mkdirSync(dirname(logFile), { recursive: true });
      this.file = createWriteStream(logFile, { flags: 'a' });
    }
  }

  follow(stream: NodeJS.ReadableStream | null): void {
    if (!stream) return;
    createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) =>
      this.add(line),
    );
  }

  add(line: string): void {
    if (this.head.length < OUTPUT_HEAD_LINES) this.head.push(line);
    else this.lines.push(line);
    if (this.lines.length > OUTPUT_TAIL_LINES) {
      this.lines.shift();
      this.dropped++;
    }
    this.file?.write(`${line}\n`);
    this.log?.(line);
  }

  tail(): string {
    if (this.head.length === 0) return '(no output)';
    const gap = this.dropped > 0 ? [`… (${this.dropped} lines)`] : [];
    return [...this.head, ...gap, ...this.lines].join('\n');
  }

  close(): Promise<void> {
    const file = this.file;
    return file ? new Promise((resolve) => file.end(resolve)) : Promise.resolve();
  }
}

interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

function describeExit(exit: ChildExit): string {
  if (exit.error) return `could not be started: ${exit.error.message}`;
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

function whenExited(child: ChildProcess): Promise<ChildExit> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // 'error' without 'exit' happens when the binary cannot be spawned at all.
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  });
}

async function stopChild(child: ChildProcess, exited: Promise<ChildExit>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const escalation = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(escalation);
}

// Readiness is detected by connecting to the port, so a server already listening there would be
// mistaken for ours while ours fails to bind.
async function assertPortsFree(o: DevServerOptions): Promise<void> {
  const ip = o.ip ?? '127.0.0.1';
  for (const [what, port] of [
    ['gRPC', o.port],
    ['Web UI', uiPortOf(o)],
  ] as const) {
    if (port !== undefined && !(await isPortFree(port, ip))) {
      throw new Error(
        `Cannot start the Temporal dev server: ${what} port ${ip}:${port} is already in use; stop what listens there or choose another port`,
      );
    }
  }
}

// The server picks free ports of its own for its internal services; on a busy machine another
// process can take one between the pick and the bind, and the server then exits at once. A fresh
// launch picks fresh ports, so an early exit is retried a few times before it is reported.
const LAUNCH_ATTEMPTS = 3;

class ExitedBeforeReady extends Error {}

async function startWithCli(cli: string, o: DevServerOptions): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchWithCli(cli, o);
    } catch (error) {
      if (
        !(error instanceof Error && error.cause instanceof ExitedBeforeReady) ||
        attempt >= LAUNCH_ATTEMPTS
      ) {
        throw error;
      }
      o.log?.(
        `Temporal dev server exited while starting (attempt ${attempt} of ${LAUNCH_ATTEMPTS}); starting it again`,
      );
    }
  }
}

async function launchWithCli(cli: string, o: DevServerOptions): Promise<DevServer> {
  const namespace = o.namespace ?? 'default';
  const address = `${o.ip ?? '127.0.0.1'}:${o.port}`;
  await assertPortsFree(o);
  if (o.dbFile) mkdirSync(dirname(o.dbFile), { recursive: true });
  const output = new ServerOutput(o.logFile, o.log);
  const started = Date.now();
  const child = spawnServer(
    cli,
    cliArguments(o, namespace),
    { stdio: ['ignore', 'pipe', 'pipe'] },
    'SIGTERM',
  );
  const pidFile = o.pidFile;
  if (pidFile) recordProcess(pidFile, child, 'Temporal dev server', 'SIGTERM');
  output.follow(child.stdout);
  output.follow(child.stderr);
  const exited = whenExited(child).then((exit) => {
    if (pidFile) forgetProcess(pidFile, child.pid);
    return exit;
  });
  // A test runner or script that dies without calling stop() must not leave the server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await stopChild(child, exited);
      process.off('exit', killOnExit);
      await output.close();
    })();
    return stopping;
  };

  try {
    const connection = await waitUntilReady(address, namespace, exited);
    try {
      await ensureSearchAttributes(connection, namespace, o.searchAttributes ?? {});
    } finally {
      await connection.close();
    }
  } catch (error) {
    await stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Temporal dev server (${cli}) did not start on ${address}: ${reason}\n${output.tail()}`, {
      cause: error,
    });
  }
  const uiPort = uiPortOf(o);
  o.log?.(`Temporal dev server ready on ${address} after ${Date.now() - started} ms`);
  return {
    address,
    namespace,
    ...(uiPort === undefined ? {} : { uiUrl: `http://localhost:${uiPort}` }),
    ...(child.pid === undefined ? {} : { pid: child.pid }),
    stop,
  };
}

async function probe(address: string, namespace: string): Promise<Connection> {
  const connection = await Connection.connect({ address, connectTimeout: PROBE_TIMEOUT_MS });
  try {
    // The namespace is registered a moment after the frontend answers.
    await connection.withDeadline(Date.now() + PROBE_TIMEOUT_MS, () =>
      connection.workflowService.describeNamespace({ namespace }),
    );
    return connection;
  } catch (error) {
    await connection.close();
    throw error;
  }
}

async function waitUntilReady(
  address: string,
  namespace: string,
  exited: Promise<ChildExit>,
): Promise<Connection> {
  let exit: ChildExit | undefined;
  void exited.then((e) => {
    exit = e;
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  // A server that exits is reported at once, not after the probe under way gives up.
  const exitedEarly = exited.then((e) => {
    throw new ExitedBeforeReady(`the server process ${describeExit(e)}`);
  });
  exitedEarly.catch(() => {});
  while (Date.now() < deadline) {
    if (exit) throw new ExitedBeforeReady(`the server process ${describeExit(exit)}`);
    const probing = probe(address, namespace);
    try {
      return await Promise.race([probing, exitedEarly]);
    } catch (error) {
      if (error instanceof ExitedBeforeReady) {
        void probing.then((connection) => connection.close()).catch(() => {});
        throw error;
      }
      lastError = error;
      await delay(READY_POLL_INTERVAL_MS);
    }
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`not ready within ${READY_TIMEOUT_MS / 1000} s (last error: ${reason})`);
}

function indexedValueTypeOf(name: string, type: DevServerSearchAttributeType): number {
  const encoded = encodeSearchAttributeIndexedValueType(SEARCH_ATTRIBUTE_TYPES[type]);
  if (encoded === undefined) throw new Error(`Unknown search attribute type ${type} for ${name}`);
  return encoded;
}

/** The operator service's form of a set of search attributes (name → IndexedValueType). */
export function toIndexedValueTypes(
  attributes: Record<string, DevServerSearchAttributeType>,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, type]) => [name, indexedValueTypeOf(name, type)]),
  );
}

/**
 * The CLI registers `--search-attribute`s only when it creates the namespace, i.e. on the first
 * start with a given `--db-filename`; attributes added to the list later would silently be
 * missing after a restart. So register whatever is missing through the operator service.
 */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  wanted: Record<string, DevServerSearchAttributeType>,
): Promise<void> {
  if (Object.keys(wanted).length === 0) return;
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const existing = customAttributes ?? {};
  const missing: Record<string, number> = {};
  for (const [name, encoded] of Object.entries(toIndexedValueTypes(wanted))) {
    const current = existing[name];
    if (current === undefined || current === null) {
      missing[name] = encoded;
    } else if (current !== encoded) {
      throw new Error(
        `Search attribute ${name} is registered in namespace ${namespace} with another type than ${wanted[name]}; ` +
          'use a new name or a fresh database file',
      );
    }
  }
  if (Object.keys(missing).length > 0) {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  }
}

// Fallback for machines without the local CLI: the SDK downloads one (needs internet access).
// @temporalio/testing is a dev dependency, so it is loaded only here.
async function startWithSdkDownload(o: DevServerOptions): Promise<DevServer> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const namespace = o.namespace ?? 'default';
  const uiPort = uiPortOf(o);
  const searchAttributes = Object.entries(o.searchAttributes ?? {}).map(([name, type]) =>
    defineSearchAttributeKey(name, SEARCH_ATTRIBUTE_TYPES[type]),
  );
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      port: o.port,
      namespace,
      ...(o.ip ? { ip: o.ip } : {}),
      ...(uiPort === undefined ? { ui: false } : { ui: true, uiPort, extraArgs: uiArguments(o) }),
      ...(o.dbFile ? { dbFilename: o.dbFile } : {}),
      searchAttributes,
      log: { format: 'pretty', level: 'warn' },
    },
  });
  try {
    await ensureSearchAttributes(env.connection, namespace, o.searchAttributes ?? {});
  } catch (error) {
    await env.teardown();
    throw error;
  }
  return {
    address: env.address,
    namespace,
    ...(uiPort === undefined ? {} : { uiUrl: `http://localhost:${uiPort}` }),
    stop: () => env.teardown(),
  };
}
