// Long activities heartbeat so a dead worker is noticed within the heartbeat timeout and a
// cancellation reaches the running command.
import { CancelledFailure, Context } from '@temporalio/activity';

const HEARTBEAT_EVERY_MS = 1_000;

export async function withHeartbeat<T>(
  progress: () => unknown,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const context = Context.current();
  context.heartbeat(progress());
  const timer = setInterval(() => context.heartbeat(progress()), HEARTBEAT_EVERY_MS);
  try {
    return await work(context.cancellationSignal);
  } catch (error) {
    throwIfCancelled();
    throw error;
  } finally {
    clearInterval(timer);
  }
}

/**
 * A cancelled activity must end with a CancelledFailure: any other error reaches the workflow as a
 * plain failure, and a cancelled release would end `failed` instead of `cancelled`.
 */
export function throwIfCancelled(): void {
  const signal = Context.current().cancellationSignal;
  if (!signal.aborted) return;
  throw signal.reason instanceof CancelledFailure
    ? signal.reason
    : new CancelledFailure(String(signal.reason));
}

/** A driver action run with heartbeats that say what it is doing (`progress`): how long it took. */
export async function timedAction(
  progress: Record<string, string>,
  run: (signal: AbortSignal) => Promise<{ durationMs: number }>,
): Promise<{ durationMs: number }> {
  const { durationMs } = await withHeartbeat(() => progress, run);
  return { durationMs };
}
