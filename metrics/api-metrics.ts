// The API's own metrics: releases it started, how long its HTTP requests take by route template,
// and — read from PostgreSQL at scrape time — the open releases and those past their SLA. Labels are
// closed sets (service, type, status, route template): never a release id or a raw path.
import type pg from 'pg';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { countOpenReleases, type OpenReleaseCount } from '../db/open-release-counts.js';
import type { Logger } from '../logging/logger.js';
import type { ReleaseType } from '../workflows/release-model.js';

/** A scrape never waits longer than this on PostgreSQL; the gauges are then left out. */
const COUNT_TIMEOUT_MS = 2_000;
/** Both gauges come from one query per scrape. */
const COUNT_REUSE_MS = 1_000;
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface HttpRequestLabels {
  method: string;
  /** The matched route's template, /api/v1/releases/{id}; `unmatched` when no route matched. */
  route: string;
  status: number;
}

export interface HttpRequestMetrics {
  httpRequest(labels: HttpRequestLabels, seconds: number): void;
}

export interface ReleaseStartMetrics {
  releaseStarted(labels: { service: string; type: ReleaseType }): void;
}

export interface ApiMetricsOptions {
  /** Where the open-release gauges are counted; none: they are not exposed. */
  pool?: Pick<pg.Pool, 'query'>;
  logger: Logger;
  defaultMetrics?: boolean;
}

export class ApiMetrics implements HttpRequestMetrics, ReleaseStartMetrics {
  readonly registry = new Registry();
  readonly #started: Counter<'service' | 'type'>;
  readonly #http: Histogram<'method' | 'route' | 'status'>;
  readonly #countFailures: Counter;
  #counting: { at: number; counts: Promise<OpenReleaseCount[] | undefined> } | undefined;

  constructor(private readonly options: ApiMetricsOptions) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.#started = new Counter({
      name: 'runway_releases_started_total',
      help: 'Releases the API started (a workflow began), by service and type',
      labelNames: ['service', 'type'],
      registers,
    });
    this.#http = new Histogram({
      name: 'runway_http_request_duration_seconds',
      help: 'HTTP request durations by method, route template and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    const counts = () => this.#openReleaseCounts();
    this.#countFailures = new Counter({
      name: 'runway_open_releases_query_failures_total',
      help: 'Scrapes whose open-release count failed or timed out (the open-release gauges were left out)',
      registers,
      // Rendered with the gauges of the same scrape: their count has failed or not by then.
      async collect() {
        await counts();
      },
    });
    if (options.pool) this.#registerOpenReleaseGauges(registers, counts);
  }

  releaseStarted(labels: { service: string; type: ReleaseType }): void {
    this.#started.inc(labels);
  }

  httpRequest(labels: HttpRequestLabels, seconds: number): void {
    this.#http.observe({ ...labels, status: String(labels.status) }, seconds);
  }

  #registerOpenReleaseGauges(
    registers: Registry[],
    counts: () => Promise<OpenReleaseCount[] | undefined>,
  ): void {
    new Gauge({
      name: 'runway_releases_open',
      help: 'Release records still open, by service, type and status (read from PostgreSQL at scrape time)',
      labelNames: ['service', 'type', 'status'],
      registers,
      async collect() {
        this.reset();
        for (const count of (await counts()) ?? []) {
          this.inc({ service: count.service, type: count.type, status: count.status }, count.open);
        }
      },
    });
    new Gauge({
      name: 'runway_releases_past_sla',
      help: 'Open releases past their SLA deadline whose production work has not ended, by SLA alert level',
      labelNames: ['service', 'type', 'level'],
      registers,
      async collect() {
        this.reset();
        for (const count of (await counts()) ?? []) {
          if (count.slaLevel === null) continue;
          this.inc({ service: count.service, type: count.type, level: count.slaLevel }, count.pastSla);
        }
      },
    });
  }

  /** One count per scrape, bounded in time; undefined (and a failure counted) when it fails. */
  #openReleaseCounts(): Promise<OpenReleaseCount[] | undefined> {
    const { pool, logger } = this.options;
    if (!pool) return Promise.resolve(undefined);
    if (this.#counting && Date.now() - this.#counting.at < COUNT_REUSE_MS) return this.#counting.counts;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${COUNT_TIMEOUT_MS} ms`)),
        COUNT_TIMEOUT_MS,
      );
    });
    const counts = Promise.race([countOpenReleases(pool), timeout])
      .catch((error: unknown) => {
        this.#countFailures.inc();
        logger.warn({ err: String(error) }, 'could not count open releases for /metrics');
        return undefined;
      })
      .finally(() => clearTimeout(timer));
    this.#counting = { at: Date.now(), counts };
    return counts;
  }
}
