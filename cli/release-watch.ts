// Follows a release until it ends: asks the API at most every 2 s, redraws the release in place on
// a terminal, or prints one line per change elsewhere. The release itself is never touched:
// stopping the watch (Ctrl-C, --timeout) leaves it running.
import { setTimeout as sleep } from 'node:timers/promises';
import { type ApiClient, ApiError, ConnectionError } from './api-client.js';
import type { Release } from './api-types.js';
import { formatDuration } from './durations.js';
import { type ExitCode, exitCodeForStatus } from './exit-codes.js';
import { type Output, stripEscapes, visibleLength } from './output.js';
import { releaseElapsed, releaseFacts, releaseFrame } from './release-view.js';

/** The API is asked no more often than this. */
export const MIN_POLL_INTERVAL_MS = 2000;
/** A watch rides out an API that does not answer for this long (a restart, a network blip). */
const OUTAGE_TOLERANCE_MS = 60_000;

export type WatchEnd =
  | { kind: 'ended'; release: Release; exitCode: ExitCode }
  | { kind: 'timeout'; release: Release }
  | { kind: 'interrupted'; release: Release | undefined };

export interface WatchOptions {
  out: Output;
  /** Redraw in place (a terminal) rather than print one line per change. */
  tty: boolean;
  timeoutMs?: number;
  /** Aborted by Ctrl-C. */
  signal: AbortSignal;
  intervalMs?: number;
}

/** Redraws the frame in place: up over the previous one, clear, draw; lines cut to the width. */
function inPlaceScreen(out: Output) {
  let drawn = 0;
  return (lines: string[]) => {
    const columns = out.stdout.columns || 120;
    // A line wider than the terminal would wrap and throw the count of lines to go back over off.
    const cut = lines.map((line) =>
      visibleLength(line) > columns ? `${[...stripEscapes(line)].slice(0, columns - 1).join('')}…` : line,
    );
    out.stdout.write(`${drawn ? `\x1b[${drawn}F\x1b[J` : ''}${cut.join('\n')}\n`);
    drawn = cut.length;
  };
}

/** Prints each fact once, the first time it holds, with the release's elapsed time then. */
function factPrinter(out: Output) {
  const seen = new Set<string>();
  return (release: Release, now: number) => {
    for (const fact of releaseFacts(release)) {
      if (seen.has(fact)) continue;
      seen.add(fact);
      out.print(`${out.paint.dim(`+${formatDuration(releaseElapsed(release, now))}`.padEnd(8))} ${fact}`);
    }
  };
}

const isTransient = (error: unknown) =>
  error instanceof ConnectionError || (error instanceof ApiError && error.status >= 500);

export async function watchRelease(client: ApiClient, id: string, options: WatchOptions): Promise<WatchEnd> {
  const { out, signal } = options;
  const interval = Math.max(options.intervalMs ?? MIN_POLL_INTERVAL_MS, MIN_POLL_INTERVAL_MS);
  const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
  const draw = out.json ? undefined : options.tty ? inPlaceScreen(out) : undefined;
  const printFacts = out.json || options.tty ? undefined : factPrinter(out);
  let release: Release | undefined;
  let failingSince: number | undefined;
  while (!signal.aborted) {
    try {
      release = await client.get<Release>(`/releases/${encodeURIComponent(id)}`);
      if (failingSince !== undefined) out.note(`runway: ${client.url} answers again`);
      failingSince = undefined;
    } catch (error) {
      if (!isTransient(error)) throw error;
      if (failingSince === undefined) {
        failingSince = Date.now();
        out.note(`runway: ${(error as Error).message}; asking again`);
      } else if (Date.now() - failingSince > OUTAGE_TOLERANCE_MS) {
        throw error;
      }
    }
    if (release) {
      const now = Date.now();
      draw?.(releaseFrame(release, now, out.paint));
      printFacts?.(release, now);
      const exitCode = exitCodeForStatus(release.status);
      if (exitCode !== undefined) return { kind: 'ended', release, exitCode };
    }
    if (deadline !== undefined && Date.now() + interval > deadline) {
      await sleep(Math.max(deadline - Date.now(), 0), undefined, { signal }).catch(() => {});
      if (signal.aborted) break;
      if (release) return { kind: 'timeout', release };
      throw new ConnectionError(client.url, 'no answer before --timeout');
    }
    await sleep(interval, undefined, { signal }).catch(() => {});
  }
  return { kind: 'interrupted', release };
}
