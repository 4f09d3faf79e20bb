import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { DemoTargetError } from './model.js';

const STDERR_TAIL_LINES = 20;
const PROBE_INTERVAL_MS = 100;
/** Above the slow build's 600 ms delay, so a slow instance still counts as started. */
const PROBE_TIMEOUT_MS = 2000;

export interface InstanceSpec {
  environment: string;
  /** What the process serves as: an edm-web colour, or the name of an edm-sender instance. */
  slot: string;
  version: string;
  port: number;
}

export interface InstanceLaunchOptions {
  /** The bundled server (demo/dist), run by plain `node`. */
  serverPath: string;
  /** The service it runs, for messages: edm-web or edm-sender. */
  service: string;
  /** The server's option naming the slot: edm-web's --colour, edm-sender's --instance. */
  slotOption: '--colour' | '--instance';
  cwd: string;
  startTimeoutMs: number;
  stopGraceMs: number;
  log: (line: string) => void;
  /** Variables this environment's processes get besides the agent's own (e.g. edm-web's EDM_CONFIG_FILE). */
  env?: Record<string, string>;
  /** Called when the instance exits without having been asked to stop. */
  onUnexpectedExit: (instance: ColourInstance, reason: string) => void;
}

/** 'aborted' only ever loses the race: probing and the timer are called off once it is decided. */
type StartOutcome = 'serving' | 'exited' | 'timed-out' | 'aborted';

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `signal ${signal}` : `code ${code}`;
}

/** Resolves true if `promise` settles within `ms`, false otherwise, without leaving a timer behind. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function forwardLines(stream: Readable | null, onLine: (line: string) => void): void {
  if (stream === null) return;
  createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', onLine);
}

/**
 * The instance's own database as DATABASE_URL, as a platform hands a service its secret: from the
 * variable the stacks provide for the service in that environment (EDM_WEB_TEST_DATABASE_URL), read
 * when the instance starts, since the stacks create the databases after the target is up.
 */
function databaseOf(service: string, spec: InstanceSpec): Record<string, string> {
  const variable = `${service}_${spec.environment}_DATABASE_URL`.toUpperCase().replaceAll('-', '_');
  const url = process.env[variable];
  return url ? { DATABASE_URL: url } : {};
}

/**
 * One demo service process: an edm-web colour or an edm-sender instance of one environment. The
 * instance is a child process of the agent; the agent is the only thing that starts or stops it.
 */
export class ColourInstance {
  readonly pid: number | null;
  private readonly exited: Promise<void>;
  private hasExited = false;
  private stopRequested = false;
  private readonly stderrTail: string[] = [];

  private constructor(
    readonly spec: InstanceSpec,
    private readonly child: ChildProcess,
    private readonly options: InstanceLaunchOptions,
  ) {
    this.pid = child.pid ?? null;
    this.exited = new Promise((resolve) => {
      child.once('close', () => resolve());
      child.once('error', () => resolve());
    });
    child.once('exit', (code, signal) => this.recordExit(describeExit(code, signal)));
    child.once('error', (error) => this.recordExit(`spawn failed: ${error.message}`));
    forwardLines(child.stdout, (line) => options.log(`${this.label}: ${line}`));
    forwardLines(child.stderr, (line) => this.recordStderr(line));
  }

  static launch(spec: InstanceSpec, options: InstanceLaunchOptions): ColourInstance {
    const args = [
      options.serverPath,
      '--port',
      String(spec.port),
      '--version',
      spec.version,
      options.slotOption,
      spec.slot,
    ];
    const child = spawn(process.execPath, args, {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Late-fault builds go bad a while after the switch sends them traffic, not after the pre-switch
      // check, so a bake sees the fault however long the deploy took (demo/edm-web/faults.ts).
      env: {
        EDM_FAULT_CLOCK: 'traffic',
        ...process.env,
        ...options.env,
        ...databaseOf(options.service, spec),
      },
      // A process group of its own keeps a terminal's Ctrl-C away from the instances:
      // the agent stops them itself and records that it did.
      detached: true,
    });
    return new ColourInstance(spec, child, options);
  }

  get running(): boolean {
    return !this.hasExited && this.pid !== null;
  }

  private get label(): string {
    return `${this.spec.environment}/${this.spec.slot} ${this.spec.version}`;
  }

  private recordExit(reason: string): void {
    if (this.hasExited) return;
    this.hasExited = true;
    if (!this.stopRequested) this.options.onUnexpectedExit(this, reason);
  }

  private recordStderr(line: string): void {
    this.stderrTail.push(line);
    if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
    this.options.log(`${this.label} (stderr): ${line}`);
  }

  private outputTail(): string {
    return this.stderrTail.length > 0 ? this.stderrTail.join('\n') : '(no output on stderr)';
  }

  /**
   * Wait until the instance answers HTTP on its port. Any status counts, since a failing
   * build still starts; only an answer from a different version is ignored, because that is
   * a leftover process on the port and ours is about to fail with EADDRINUSE.
   */
  async untilServing(): Promise<void> {
    const stopProbing = new AbortController();
    const serving = this.probeUntilServing(stopProbing.signal).then(
      (ok): StartOutcome => (ok ? 'serving' : 'aborted'),
    );
    const exited = this.exited.then((): StartOutcome => 'exited');
    const timedOut = delay<StartOutcome>(this.options.startTimeoutMs, 'timed-out', {
      signal: stopProbing.signal,
    }).catch((): StartOutcome => 'aborted');
    const outcome = await Promise.race([serving, exited, timedOut]);
    stopProbing.abort();
    if (outcome === 'serving') return;
    if (outcome === 'timed-out') {
      await this.stop();
      throw new DemoTargetError(
        500,
        `${this.options.service} ${this.label} did not accept connections on port ${this.spec.port} within ${this.options.startTimeoutMs / 1000} s and was stopped; stderr: ${this.outputTail()}`,
      );
    }
    await this.exited;
    throw new DemoTargetError(
      500,
      `${this.options.service} ${this.label} exited before serving on port ${this.spec.port}; stderr: ${this.outputTail()}`,
    );
  }

  /** True once serving; false when probing was called off because the race was decided otherwise. */
  private async probeUntilServing(signal: AbortSignal): Promise<boolean> {
    const url = `http://127.0.0.1:${this.spec.port}/version`;
    while (!signal.aborted) {
      if (await this.answersAsThisVersion(url, signal)) return true;
      await delay(PROBE_INTERVAL_MS, undefined, { signal }).catch(() => undefined);
    }
    return false;
  }

  private async answersAsThisVersion(url: string, signal: AbortSignal): Promise<boolean> {
    try {
      const response = await fetch(url, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]),
      });
      const text = await response.text();
      if (response.status !== 200) return true;
      const body = JSON.parse(text) as { version?: unknown };
      return body.version === this.spec.version;
    } catch {
      return false;
    }
  }

  /** SIGTERM, then SIGKILL after the grace period; resolves once the process is gone. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    if (!this.hasExited && this.pid !== null) {
      this.child.kill('SIGTERM');
      if (!(await settlesWithin(this.exited, this.options.stopGraceMs))) {
        this.options.log(
          `${this.label}: no exit ${this.options.stopGraceMs} ms after SIGTERM, sending SIGKILL`,
        );
        this.child.kill('SIGKILL');
      }
    }
    await this.exited;
  }
}
