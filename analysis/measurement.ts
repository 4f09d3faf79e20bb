// What a bake observes about a service, and the interface every way of observing it implements.
// Pure: no I/O here, so the workflow side can import the types and the judgement.

/** Health checks over the window, in the order they ran. */
export interface HealthObservation {
  ok: number;
  failed: number;
  /** The longest run of consecutive failed checks in the window. */
  consecutiveFailures: number;
}

/** The service's own traffic (or the probe's requests) over the window; health checks excluded. */
export interface TrafficObservation {
  requests: number;
  /** Answers 5xx, answers with an unexpected status, and requests that got no answer or timed out. */
  errors: number;
  /** Null when there is no latency to speak of (no request was answered or timed out). */
  p95Ms: number | null;
  /** Every latency the p95 was taken from, when the probe saw each request. */
  latencySamplesMs?: number[];
}

export interface BakeMeasurement {
  /** Where the figures come from, for the release record ("http http://127.0.0.1:4111", "prometheus …"). */
  source: string;
  windowMs: number;
  /** Null when the probe does not measure health. */
  health: HealthObservation | null;
  /** Null when the probe does not measure traffic. */
  traffic: TrafficObservation | null;
}

export interface MeasureOptions {
  /**
   * Called after every probe interval with the measurement of the window so far, or of its last
   * `progressWindowMs`; return 'stop' to end the window early, and `measure` resolves with that
   * measurement. Otherwise `measure` resolves with the whole window.
   */
  onProgress?: (recent: BakeMeasurement) => 'stop' | undefined;
  /**
   * Judge recent behaviour, not the whole bake: over a long bake, a build that turns bad late is
   * diluted by its good start (30 % errors after 60 s of success take many more seconds to lift a
   * cumulative rate over 5 %).
   */
  progressWindowMs?: number;
  /** Cancels the measurement: `measure` then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Watches a service for a window starting now and says what it saw. Implementations: `HttpProbe`
 * (requests the service itself) and `PrometheusProbe` (asks a Prometheus server that scrapes it).
 */
export interface MetricsProbe {
  measure(windowMs: number, options?: MeasureOptions): Promise<BakeMeasurement>;
}

export type MetricsUnavailableReason = 'unreachable' | 'no-data' | 'bad-answer';

/** The probe could not measure at all; the message says what to fix (an address, a scrape config). */
export class MetricsUnavailableError extends Error {
  constructor(
    readonly reason: MetricsUnavailableReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MetricsUnavailableError';
  }
}

/** Nearest-rank percentile (`fraction` in 0..1) of `samples`; null for no samples. */
export function percentile(samples: readonly number[], fraction: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[rank - 1] ?? null;
}

/** Counts and the longest failing run of health outcomes given in the order they happened. */
export function observeHealth(outcomes: readonly boolean[]): HealthObservation {
  let ok = 0;
  let failed = 0;
  let run = 0;
  let longest = 0;
  for (const passed of outcomes) {
    if (passed) {
      ok += 1;
      run = 0;
    } else {
      failed += 1;
      run += 1;
      longest = Math.max(longest, run);
    }
  }
  return { ok, failed, consecutiveFailures: longest };
}
