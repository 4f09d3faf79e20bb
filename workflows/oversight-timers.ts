// The durable timers of oversight (R-SLA, R-ESCALATE, R-EXPIRE, R-POSTHOC): each a `sleep` with a
// summary, so Temporal Web shows what it waits for, cut short by the event that makes it pointless.
import { CancellationScope, condition, sleep } from '@temporalio/workflow';

/**
 * Sleeps until `wakeAt` (epoch ms, workflow clock) unless `done()` becomes true first; true when it
 * was `done`. A cancellation of the enclosing scope (the release cancelled) propagates.
 */
export async function sleepUnless(wakeAt: number, summary: string, done: () => boolean): Promise<boolean> {
  if (done()) return true;
  const timer = new CancellationScope();
  const watch = new CancellationScope();
  const slept = timer.run(() => sleep(Math.max(wakeAt - Date.now(), 1), { summary }));
  const finished = watch.run(() => condition(done));
  try {
    return await Promise.race([slept.then(() => done()), finished.then(() => true)]);
  } finally {
    timer.cancel();
    watch.cancel();
    slept.catch(() => undefined);
    finished.catch(() => undefined);
  }
}

/** A duration for people to read: "2 h", "45 min", "7 days". */
export function spokenDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return `${Math.round(ms / 1000)} s`;
  if (minutes < 120 && minutes % 60 !== 0) return `${minutes} min`;
  const hours = minutes / 60;
  if (hours < 48 || !Number.isInteger(hours / 24)) return `${Number(hours.toFixed(1))} h`;
  return `${hours / 24} days`;
}
