// Long activities heartbeat so a dead worker is noticed within the heartbeat timeout and a
// cancellation reaches the running command.
import { Context } from '@temporalio/activity';

const HEARTBEAT_EVERY_MS = 2_000;

export async function withHeartbeat<T>(
  progress: () => unknown,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const context = Context.current();
  context.heartbeat(progress());
  const timer = setInterval(() => context.heartbeat(progress()), HEARTBEAT_EVERY_MS);
  try {
    return await work(context.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}
