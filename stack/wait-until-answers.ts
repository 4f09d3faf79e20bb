// Waits for a server a process just started: its URL answers 2xx. A process that exits first ends
// the wait at once, with what it was, rather than after the whole timeout.
import { setTimeout as delay } from 'node:timers/promises';

export interface AnswerWait {
  timeoutMs?: number;
  /** Resolves when the server's process has exited. */
  exited?: Promise<unknown>;
  /** Named in the error when it exits first (where its log is, say). */
  what?: string;
}

export async function waitUntilAnswers(url: string, wait: AnswerWait = {}): Promise<void> {
  const timeoutMs = wait.timeoutMs ?? 60_000;
  let gone = false;
  void wait.exited?.then(() => {
    gone = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`${wait.what ?? 'the server'} exited before ${url} answered`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await delay(200);
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
}
