/**
 * A demo service's own metrics (edm-web's and edm-sender's) in the Prometheus text exposition format (version 0.0.4), written by hand:
 * three metric families do not justify a client library.
 */

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Upper bounds in seconds, from well under a local answer to far over any bake threshold. */
export const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

interface DurationHistogram {
  /** Observations at or below each bound of DURATION_BUCKETS_SECONDS, not yet cumulative. */
  bucketCounts: number[];
  sum: number;
  count: number;
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(pairs: Record<string, string>): string {
  const text = Object.entries(pairs)
    .map(([name, value]) => `${name}="${escapeLabelValue(value)}"`)
    .join(',');
  return `{${text}}`;
}

export class HttpMetrics {
  private readonly requests = new Map<string, { path: string; status: string; count: number }>();
  private readonly durations = new Map<string, DurationHistogram>();

  constructor(
    /** The build's labels: its version and what it serves as (edm-web's colour, edm-sender's instance). */
    private readonly build: Readonly<Record<string, string>>,
    /** Bounds the `path` label: every path not listed is counted as `other`. */
    private readonly knownPaths: ReadonlySet<string>,
  ) {}

  pathLabel(path: string): string {
    return this.knownPaths.has(path) ? path : 'other';
  }

  observe(path: string, status: number, seconds: number): void {
    const pathLabel = this.pathLabel(path);
    const statusLabel = String(status);
    const requestKey = `${pathLabel} ${statusLabel}`;
    const counter = this.requests.get(requestKey) ?? { path: pathLabel, status: statusLabel, count: 0 };
    counter.count += 1;
    this.requests.set(requestKey, counter);

    let histogram = this.durations.get(pathLabel);
    if (histogram === undefined) {
      histogram = { bucketCounts: DURATION_BUCKETS_SECONDS.map(() => 0), sum: 0, count: 0 };
      this.durations.set(pathLabel, histogram);
    }
    const bucket = DURATION_BUCKETS_SECONDS.findIndex((bound) => seconds <= bound);
    if (bucket >= 0) histogram.bucketCounts[bucket] = (histogram.bucketCounts[bucket] ?? 0) + 1;
    histogram.sum += seconds;
    histogram.count += 1;
  }

  render(): string {
    const lines: string[] = [
      '# HELP edm_build_info The running build of the service; always 1.',
      '# TYPE edm_build_info gauge',
      `edm_build_info${labels(this.build)} 1`,
      '# HELP edm_http_requests_total HTTP requests answered, by path and status code.',
      '# TYPE edm_http_requests_total counter',
    ];
    for (const { path, status, count } of this.requests.values()) {
      lines.push(`edm_http_requests_total${labels({ path, status })} ${count}`);
    }
    lines.push(
      '# HELP edm_http_request_duration_seconds Time from receiving a request to finishing its answer.',
      '# TYPE edm_http_request_duration_seconds histogram',
    );
    for (const [path, histogram] of this.durations) {
      let cumulative = 0;
      DURATION_BUCKETS_SECONDS.forEach((bound, index) => {
        cumulative += histogram.bucketCounts[index] ?? 0;
        lines.push(
          `edm_http_request_duration_seconds_bucket${labels({ path, le: String(bound) })} ${cumulative}`,
        );
      });
      lines.push(
        `edm_http_request_duration_seconds_bucket${labels({ path, le: '+Inf' })} ${histogram.count}`,
        `edm_http_request_duration_seconds_sum${labels({ path })} ${histogram.sum}`,
        `edm_http_request_duration_seconds_count${labels({ path })} ${histogram.count}`,
      );
    }
    return `${lines.join('\n')}\n`;
  }
}
