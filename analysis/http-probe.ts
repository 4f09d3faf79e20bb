// Measures a service by requesting it: its health path and its verification paths, every interval.
import {
  type BakeMeasurement,
  type MeasureOptions,
  type MetricsProbe,
  observeHealth,
  percentile,
} from './measurement.js';
import { waitUnlessAborted } from './wait.js';

export interface ProbedPath {
  path: string;
  /** When set, any other status counts as an error; otherwise only 5xx does. */
  expectStatus?: number;
}

export interface HttpProbeOptions {
  /** The service's address, usually its environment's front door (the proxy). */
  baseUrl: string;
  /** Answers `healthStatus` (default 200) while the service is healthy. */
  healthPath: string;
  healthStatus?: number;
  /** The service's own paths, whose errors and latency the bake judges. */
  paths: ProbedPath[];
  intervalMs: number;
  /** A request still unanswered after this long counts as an error with this latency. */
  timeoutMs: number;
}

/** One request the probe made; `latencyMs` is null when no answer came, short of a timeout. */
export interface ProbeResult {
  path: string;
  status: number | null;
  latencyMs: number | null;
  ok: boolean;
  detail: string;
}

interface ProbeRound {
  startedAt: number;
  health: boolean;
  requests: ProbeResult[];
}

class ProbeRecord {
  private readonly rounds: ProbeRound[] = [];

  constructor(
    private readonly source: string,
    private readonly startedAt: number,
  ) {}

  add(round: ProbeRound): void {
    this.rounds.push(round);
  }

  /** The rounds started in the last `lastMs` (all of them without it). */
  measurement(lastMs?: number): BakeMeasurement {
    const now = performance.now();
    const from = lastMs === undefined ? this.startedAt : Math.max(this.startedAt, now - lastMs);
    const rounds = this.rounds.filter((round) => round.startedAt >= from);
    const requests = rounds.flatMap((round) => round.requests);
    const latencies = requests.flatMap((result) => (result.latencyMs === null ? [] : [result.latencyMs]));
    return {
      source: this.source,
      windowMs: Math.round(now - from),
      health: observeHealth(rounds.map((round) => round.health)),
      traffic: {
        requests: requests.length,
        errors: requests.filter((result) => !result.ok).length,
        p95Ms: percentile(latencies, 0.95),
        latencySamplesMs: latencies,
      },
    };
  }
}

/**
 * Probes in rounds: every `intervalMs` one request to the health path and one to each service path,
 * all at once. A round that outlasts the interval (a timeout longer than it) delays the next; rounds
 * never overlap, so a slow service is not piled on. The window ends with the first round that
 * finishes after `windowMs`.
 */
export class HttpProbe implements MetricsProbe {
  constructor(private readonly options: HttpProbeOptions) {
    if (options.paths.length === 0) throw new Error('an HTTP probe needs at least one service path');
    if (!(options.intervalMs > 0) || !(options.timeoutMs > 0)) {
      throw new Error(
        `probe interval and timeout must be positive, got ${options.intervalMs} and ${options.timeoutMs} ms`,
      );
    }
  }

  async measure(
    windowMs: number,
    { onProgress, progressWindowMs, signal }: MeasureOptions = {},
  ): Promise<BakeMeasurement> {
    const startedAt = performance.now();
    const record = new ProbeRecord(`http ${this.options.baseUrl}`, startedAt);
    let lastRound = false;
    for (;;) {
      signal?.throwIfAborted();
      const roundStart = performance.now();
      const [health, requests] = await Promise.all([
        this.request(
          { path: this.options.healthPath, expectStatus: this.options.healthStatus ?? 200 },
          signal,
        ),
        Promise.all(this.options.paths.map((path) => this.request(path, signal))),
      ]);
      signal?.throwIfAborted();
      record.add({ startedAt: roundStart, health: health.ok, requests });
      if (onProgress !== undefined) {
        const recent = record.measurement(progressWindowMs);
        if (onProgress(recent) === 'stop') return recent;
      }
      const now = performance.now();
      if (now - startedAt >= windowMs || lastRound) return record.measurement();
      const nextRound = Math.min(roundStart + this.options.intervalMs, startedAt + windowMs);
      // The round at the window's end is the last, even if its timer fires a hair early.
      lastRound = nextRound >= startedAt + windowMs;
      if (nextRound > now) await waitUnlessAborted(nextRound - now, signal);
    }
  }

  private async request(target: ProbedPath, signal: AbortSignal | undefined): Promise<ProbeResult> {
    const { timeoutMs } = this.options;
    const started = performance.now();
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const response = await fetch(new URL(target.path, this.options.baseUrl), {
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
      await response.arrayBuffer();
      const latencyMs = performance.now() - started;
      const { status } = response;
      const ok = target.expectStatus === undefined ? status < 500 : status === target.expectStatus;
      return { path: target.path, status, latencyMs, ok, detail: `status ${status}` };
    } catch (error) {
      if (timeout.aborted) {
        return {
          path: target.path,
          status: null,
          latencyMs: timeoutMs,
          ok: false,
          detail: `no answer within ${timeoutMs} ms`,
        };
      }
      if (signal?.aborted) throw signal.reason;
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      const message = error instanceof Error ? error.message : String(error);
      return { path: target.path, status: null, latencyMs: null, ok: false, detail: `${message}${cause}` };
    }
  }
}
