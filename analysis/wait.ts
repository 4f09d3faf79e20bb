import { setTimeout as sleep } from 'node:timers/promises';

/** Waits `ms`; on abort rejects with the signal's own reason, as fetch does, not a generic AbortError. */
export async function waitUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch (error) {
    signal?.throwIfAborted();
    throw error;
  }
}
