// Measures a service through a Prometheus server that scrapes it: error rate and p95 from the
// service's request metrics, health from the scrape itself (`up`).
import { z } from 'zod';
import {
  type BakeMeasurement,
  type MeasureOptions,
  type MetricsProbe,
  MetricsUnavailableError,
  observeHealth,
} from './measurement.js';
import { waitUnlessAborted } from './wait.js';

export interface PrometheusProbeOptions {
  /** The Prometheus server, e.g. http://127.0.0.1:9090. */
  url: string;
  /** Label values that pick the service (and, for one instance, the instance): `{ job: 'edm-web' }`. */
  selector: Record<string, string>;
  /** How often the probe asks during a window. */
  intervalMs: number;
  /** Prometheus's scrape interval for the service: rates need two scrapes, so no window is shorter. */
  scrapeIntervalMs: number;
  /** For each call to Prometheus's API. Default 5000. */
  timeoutMs?: number;
  /** A counter labelled `status` (and `path`). Default edm_http_requests_total. */
  requestsMetric?: string;
  /** A histogram in seconds. Default edm_http_request_duration_seconds. */
  durationMetric?: string;
  /** Paths that are not the service's traffic. Default /metrics and /health. */
  excludePaths?: string[];
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const sampleValue = z.tuple([z.number(), z.string()]);
const vectorResult = z.array(z.object({ metric: z.record(z.string(), z.string()), value: sampleValue }));
const matrixResult = z.array(
  z.object({ metric: z.record(z.string(), z.string()), values: z.array(sampleValue) }),
);
const apiAnswer = z.discriminatedUnion('status', [
  z.object({ status: z.literal('success'), data: z.object({ resultType: z.string(), result: z.unknown() }) }),
  z.object({ status: z.literal('error'), errorType: z.string().optional(), error: z.string() }),
]);

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function matchers(selector: Record<string, string>, extra: string[] = []): string {
  const pairs = Object.entries(selector).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  return `{${[...pairs, ...extra].join(',')}}`;
}

/** A number from Prometheus's string encoding; NaN and infinities (an empty histogram) are no value. */
function finite(text: string): number | null {
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/**
 * Each interval of the window, asks Prometheus about the time since the window began (at least two
 * scrape intervals): requests and 5xx answers by `increase`, p95 by `histogram_quantile` over the
 * duration histogram, health as the `up` series of each scrape. Throws MetricsUnavailableError when
 * Prometheus cannot be reached, refuses a query, or has no series for the selector at all.
 */
export class PrometheusProbe implements MetricsProbe {
  private readonly requestsMetric: string;
  private readonly durationMetric: string;
  private readonly trafficMatchers: string[];

  constructor(private readonly options: PrometheusProbeOptions) {
    for (const name of Object.keys(options.selector)) {
      if (!LABEL_NAME.test(name)) throw new Error(`"${name}" is not a Prometheus label name`);
    }
    if (Object.keys(options.selector).length === 0) {
      throw new Error('a Prometheus probe needs at least one label to select the service by');
    }
    this.requestsMetric = options.requestsMetric ?? 'edm_http_requests_total';
    this.durationMetric = options.durationMetric ?? 'edm_http_request_duration_seconds';
    const excluded = options.excludePaths ?? ['/metrics', '/health'];
    this.trafficMatchers =
      excluded.length === 0 ? [] : [`path!~"${escapeLabelValue(excluded.map(escapeRegex).join('|'))}"`];
  }

  async measure(
    windowMs: number,
    { onProgress, progressWindowMs, signal }: MeasureOptions = {},
  ): Promise<BakeMeasurement> {
    const startedAt = performance.now();
    await this.requireSeries(signal);
    for (let tick = 1; ; tick++) {
      // Ticks on a fixed schedule from the start, so a timer firing a hair early adds no extra tick.
      const due = Math.min(tick * this.options.intervalMs, windowMs);
      const done = due >= windowMs;
      const wait = startedAt + due - performance.now();
      if (wait > 0) await waitUnlessAborted(wait, signal);
      const sinceStart = Math.max(performance.now() - startedAt, due);
      if (onProgress !== undefined) {
        const recent = await this.query(Math.min(sinceStart, progressWindowMs ?? sinceStart), signal);
        if (onProgress(recent) === 'stop') return recent;
        if (done && progressWindowMs === undefined) return recent;
      }
      if (done) return this.query(sinceStart, signal);
    }
  }

  /** What Prometheus knows of the last `windowMs` (at least two scrapes), asked once. */
  async query(windowMs: number, signal?: AbortSignal): Promise<BakeMeasurement> {
    const rangeSeconds = Math.max(
      Math.round(windowMs / 1000),
      Math.ceil((2 * this.options.scrapeIntervalMs) / 1000),
    );
    const range = `[${rangeSeconds}s]`;
    const traffic = matchers(this.options.selector, this.trafficMatchers);
    const errors = matchers(this.options.selector, [...this.trafficMatchers, 'status=~"5.."']);
    const [requests, failed, p95, up] = await Promise.all([
      this.scalar(`sum(increase(${this.requestsMetric}${traffic}${range}))`, signal),
      this.scalar(`sum(increase(${this.requestsMetric}${errors}${range}))`, signal),
      this.scalar(
        `histogram_quantile(0.95, sum by (le) (rate(${this.durationMetric}_bucket${traffic}${range})))`,
        signal,
      ),
      this.series(`up${matchers(this.options.selector)}${range}`, signal),
    ]);
    const requestCount = requests ?? 0;
    return {
      source: `prometheus ${this.options.url} ${matchers(this.options.selector)}`,
      windowMs: rangeSeconds * 1000,
      health: up.length === 0 ? null : observeHealth(up),
      traffic: {
        requests: requestCount,
        // increase() extrapolates; an error count can come out a hair above the total.
        errors: Math.min(failed ?? 0, requestCount),
        p95Ms: p95 === null ? null : p95 * 1000,
      },
    };
  }

  private async requireSeries(signal: AbortSignal | undefined): Promise<void> {
    const selector = `${this.requestsMetric}${matchers(this.options.selector)}`;
    const count = await this.scalar(`count(${selector})`, signal);
    if (count === null || count === 0) {
      throw new MetricsUnavailableError(
        'no-data',
        `Prometheus at ${this.options.url} has no series ${selector}: is it scraping the service, with these labels?`,
      );
    }
  }

  /** The single value of an instant query; null when the result is empty or not a number. */
  private async scalar(query: string, signal: AbortSignal | undefined): Promise<number | null> {
    const result = vectorResult.safeParse(await this.ask(query, 'vector', signal));
    if (!result.success) throw this.badAnswer(query, z.prettifyError(result.error));
    const first = result.data[0];
    return first === undefined ? null : finite(first.value[1]);
  }

  /** The raw samples of a range selector as pass/fail outcomes (value 1 passes), oldest first. */
  private async series(query: string, signal: AbortSignal | undefined): Promise<boolean[]> {
    const result = matrixResult.safeParse(await this.ask(query, 'matrix', signal));
    if (!result.success) throw this.badAnswer(query, z.prettifyError(result.error));
    return result.data
      .flatMap((series) => series.values)
      .sort((a, b) => a[0] - b[0])
      .map(([, value]) => finite(value) === 1);
  }

  private badAnswer(query: string, problem: string): MetricsUnavailableError {
    return new MetricsUnavailableError(
      'bad-answer',
      `Prometheus at ${this.options.url} answered ${query} oddly: ${problem}`,
    );
  }

  private async ask(query: string, resultType: string, signal: AbortSignal | undefined): Promise<unknown> {
    const url = new URL('/api/v1/query', this.options.url);
    url.searchParams.set('query', query);
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 5000);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const reason = timeout.aborted
        ? `no answer within ${this.options.timeoutMs ?? 5000} ms`
        : error instanceof Error && error.cause instanceof Error
          ? error.cause.message
          : String(error);
      throw new MetricsUnavailableError(
        'unreachable',
        `cannot reach Prometheus at ${this.options.url}: ${reason}`,
        {
          cause: error,
        },
      );
    }
    let answer: z.infer<typeof apiAnswer>;
    try {
      answer = apiAnswer.parse(JSON.parse(text));
    } catch {
      throw this.badAnswer(query, `HTTP ${response.status} ${text.slice(0, 200)}`);
    }
    if (answer.status === 'error') {
      throw new MetricsUnavailableError(
        'bad-answer',
        `Prometheus at ${this.options.url} refused ${query}: ${answer.errorType ?? 'error'}: ${answer.error}`,
      );
    }
    if (answer.data.resultType !== resultType) {
      throw this.badAnswer(query, `expected a ${resultType}, got a ${answer.data.resultType}`);
    }
    return answer.data.result;
  }
}
