// What a user of the service sees during a rollback, independently of the bake: one request to a
// service path and one to /version through the service's proxy every 50 ms, each answer timed.
import { setTimeout as delay } from 'node:timers/promises';

export interface TrafficSample {
  /** performance.now() when both answers were in. */
  at: number;
  /** The service path's status; 0 when it did not answer. */
  status: number;
  /** What /version said; null when it did not answer. */
  version: string | null;
}

async function sample(baseUrl: string, servicePath: string): Promise<TrafficSample> {
  const signal = AbortSignal.timeout(1000);
  const [status, version] = await Promise.all([
    fetch(`${baseUrl}${servicePath}`, { signal }).then(
      async (response) => {
        await response.arrayBuffer();
        return response.status;
      },
      () => 0,
    ),
    fetch(`${baseUrl}/version`, { signal }).then(
      async (response) => ((await response.json()) as { version?: string }).version ?? null,
      () => null,
    ),
  ]);
  return { at: performance.now(), status, version };
}

export class TrafficWatch {
  readonly samples: TrafficSample[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly baseUrl: string,
    private readonly servicePath: string,
    private readonly intervalMs = 50,
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const tick = performance.now();
      this.samples.push(await sample(this.baseUrl, this.servicePath));
      await delay(Math.max(0, this.intervalMs - (performance.now() - tick)));
    }
  }

  async stop(): Promise<TrafficSample[]> {
    this.stopped = true;
    await this.loop;
    return this.samples;
  }
}

const failed = (sample: TrafficSample) => sample.status === 0 || sample.status >= 500;

/** When the watcher first saw the service fail (a 5xx or no answer), if it did. */
export function firstFailure(samples: TrafficSample[]): number | undefined {
  return samples.find(failed)?.at;
}

/**
 * When the old version was back for good: the first answer of the last unbroken run of answers
 * that are the old version and not failures, provided that run comes after the first failure.
 */
export function restoredAt(samples: TrafficSample[], oldVersion: string): number | undefined {
  const good = (sample: TrafficSample) => !failed(sample) && sample.version === oldVersion;
  let start = samples.length;
  while (start > 0 && good(samples[start - 1] as TrafficSample)) start -= 1;
  const failure = firstFailure(samples);
  const first = samples[start];
  if (first === undefined || failure === undefined || start === 0) return undefined;
  return first.at;
}
