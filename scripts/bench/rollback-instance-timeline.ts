// What each edm-sender instance answers on its own port every 50 ms during a rolling rollback, so
// each restore splits into: until the old process stops answering (the activity starting its
// edm-ctl process, which asks the agent), until the new one answers (a process start from its bundle),
// and the rest (the update command exiting, the check command, the record writes).
import { setTimeout as delay } from 'node:timers/promises';

interface InstanceSample {
  /** Epoch ms, comparable with the release record's times. */
  at: number;
  /** Whether a process answered at all: a faulty build's 500 is an answer, a closed port is not. */
  answered: boolean;
  version: string | null;
}

async function versionOn(port: number): Promise<Omit<InstanceSample, 'at'>> {
  let response: Response;
  try {
    response = await fetch(`http://127.0.0.1:${port}/version`, { signal: AbortSignal.timeout(1000) });
  } catch {
    return { answered: false, version: null };
  }
  const body = (await response.json().catch(() => ({}))) as { version?: string };
  return { answered: true, version: body.version ?? null };
}

export class InstanceTimeline {
  private readonly samples = new Map<string, InstanceSample[]>();
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(instances: { instance: string; port: number }[]) {
    for (const { instance } of instances) this.samples.set(instance, []);
    this.loop = this.run(instances);
  }

  private async run(instances: { instance: string; port: number }[]): Promise<void> {
    while (!this.stopped) {
      const tick = performance.now();
      await Promise.all(
        instances.map(async ({ instance, port }) => {
          const answer = await versionOn(port);
          this.samples.get(instance)?.push({ at: performance.timeOrigin + performance.now(), ...answer });
        }),
      );
      await delay(Math.max(0, 50 - (performance.now() - tick)));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** The instance's last answer before it went quiet, and its first answer of `version` after, both from `after` on. */
  gap(instance: string, version: string, after: number): { down: number; up: number } | undefined {
    const samples = (this.samples.get(instance) ?? []).filter((sample) => sample.at >= after);
    const quiet = samples.findIndex((sample) => !sample.answered);
    if (quiet < 0) return undefined;
    const up = samples.slice(quiet).find((sample) => sample.version === version);
    if (!up) return undefined;
    const down = samples[quiet - 1]?.at ?? (samples[quiet] as InstanceSample).at;
    return { down, up: up.at };
  }
}

export interface RestorePhases {
  instance: string;
  /** Compensation start → the old process last answered: record write, activity, edm-ctl start. */
  untilStoppedMs: number;
  /** → the restored process answered: its start from its bundle. */
  startingMs: number;
  /** → compensation end: the update command exiting, the check command, the record write. */
  afterMs: number;
  totalMs: number;
}

export function restorePhases(
  timeline: InstanceTimeline,
  restores: { instance?: string; startedAt: number; finishedAt: number }[],
  oldVersion: string,
): RestorePhases[] {
  return restores.flatMap(({ instance, startedAt, finishedAt }) => {
    const gap = instance ? timeline.gap(instance, oldVersion, startedAt) : undefined;
    if (!instance || !gap) return [];
    return [
      {
        instance,
        untilStoppedMs: gap.down - startedAt,
        startingMs: gap.up - gap.down,
        afterMs: finishedAt - gap.up,
        totalMs: finishedAt - startedAt,
      },
    ];
  });
}
