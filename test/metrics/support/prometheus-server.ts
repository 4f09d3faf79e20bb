// A real Prometheus (Debian's /usr/bin/prometheus) on a free port with a temporary configuration and
// data folder, for tests that scrape Runway's /metrics and evaluate the shipped rules and dashboard.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { stringify } from 'yaml';
import { getFreePort } from '../../../stack/free-port.js';

export const PROMETHEUS = '/usr/bin/prometheus';
export const PROMTOOL = '/usr/bin/promtool';

export interface ScrapeJob {
  name: string;
  /** host:port of each target. */
  targets: string[];
}

export interface QueryAnswer {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value?: [number, string] }[] };
}

/**
 * The shortest scrape interval (and timeout) a test may ask for. A scrape of the API may wait 2 s for
 * its open-release count from PostgreSQL, one of a worker 2 s for the Temporal SDK's exporter; a
 * timeout under that fails scrapes on a loaded machine and the targets flap between up and down.
 * Prometheus wants the timeout no longer than the interval, so both are this at least.
 */
export const MIN_SCRAPE_SECONDS = 3;

export interface RunningPrometheus {
  url: string;
  /** Instant query at now; the answer as Prometheus gives it, errors included. */
  query(promql: string): Promise<QueryAnswer>;
  /** The first sample's value of an instant query; 0 when it has none. */
  value(promql: string): Promise<number>;
  /** Polls until `condition` holds; `what` (read on failure only) says what was awaited. */
  until(what: () => string, deadlineMs: number, condition: () => Promise<boolean>): Promise<void>;
  output(): string;
  stop(): Promise<void>;
}

export async function startPrometheus(options: {
  jobs: ScrapeJob[];
  ruleFiles: string[];
  /** Scrape and rule evaluation interval, also the scrape timeout: MIN_SCRAPE_SECONDS at least. */
  intervalSeconds: number;
}): Promise<RunningPrometheus> {
  if (options.intervalSeconds < MIN_SCRAPE_SECONDS) {
    throw new Error(
      `a scrape interval of ${options.intervalSeconds} s leaves a scrape less time than Runway's /metrics may take; use ${MIN_SCRAPE_SECONDS} s or more`,
    );
  }
  const directory = await mkdtemp(join(tmpdir(), 'runway-prometheus-'));
  const port = await getFreePort();
  const url = `http://127.0.0.1:${port}`;
  const interval = `${options.intervalSeconds}s`;
  const configFile = join(directory, 'prometheus.yml');
  await writeFile(
    configFile,
    stringify({
      global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
      rule_files: options.ruleFiles,
      scrape_configs: options.jobs.map((job) => ({
        job_name: job.name,
        static_configs: [{ targets: job.targets }],
      })),
    }),
  );
  let output = '';
  const process: ResultPromise = execa(
    PROMETHEUS,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(directory, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { reject: false, all: true, buffer: false },
  );
  process.all?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });

  async function query(promql: string): Promise<QueryAnswer> {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`, {
      signal: AbortSignal.timeout(5_000),
    });
    return (await response.json()) as QueryAnswer;
  }

  async function until(what: () => string, deadlineMs: number, condition: () => Promise<boolean>) {
    const deadline = Date.now() + deadlineMs;
    while (Date.now() < deadline) {
      if (await condition().catch(() => false)) return;
      await sleep(250);
    }
    throw new Error(`timed out waiting for ${what()}`);
  }

  const stop = async () => {
    if (process.exitCode === null) process.kill('SIGTERM');
    await process;
    await rm(directory, { recursive: true, force: true });
  };
  try {
    await until(
      () => `Prometheus ready on ${url}: ${output}`,
      15_000,
      async () => (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) })).ok,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    query,
    async value(promql) {
      const answer = await query(promql);
      return Number(answer.data?.result[0]?.value?.[1] ?? 0);
    },
    until,
    output: () => output,
    stop,
  };
}
