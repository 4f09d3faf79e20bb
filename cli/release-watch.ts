// Follows a release until it ends: asks the API at most every 2 s, redraws the release in place on
// a terminal, or prints one line per change elsewhere. The release itself is never touched:
// stopping the watch (Ctrl-C, --timeout) leaves it running.
import { setTimeout as sleep } from 'node:timers/promises';
import { type ApiClient, ApiError, ConnectionError } from './api-client.js';
import type { Release } from './api-types.js';
import { formatDuration } from './durations.js';
import { type ExitCode, exitCodeForStatus } from './exit-codes.js';
import { fitToWidth, type Output } from './output.js';
import { type ReleaseFrame, releaseElapsed, releaseFacts, releaseFrameParts } from './release-view.js';

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

/**
 * Which steps fit in `room` rows: all of them, else a run around the current one, with a row saying
 * how many were left out before it and after it.
 */
function stepRows(steps: string[], current: number, room: number): string[] {
  if (steps.length <= room) return steps;
  const around = (shown: number) => {
    const from = Math.min(Math.max(current - Math.floor((shown - 1) / 2), 0), steps.length - shown);
    return { from, to: from + shown };
  };
  if (room < 3) {
    const { from, to } = around(room);
    return steps.slice(from, to);
  }
  let { from, to } = around(room - 1);
  if (from > 0 && to < steps.length) ({ from, to } = around(room - 2));
  return [
    ...(from > 0 ? [`  ⋮ ${from} earlier step${from === 1 ? '' : 's'}`] : []),
    ...steps.slice(from, to),
    ...(to < steps.length
      ? [`  ⋮ ${steps.length - to} later step${steps.length - to === 1 ? '' : 's'}`]
      : []),
  ];
}

/**
 * The frame in at most `rows` lines: the header and the notes (what the release waits for) are kept,
 * the steps around the current one fill what is left; on a terminal shorter than even those, the
 * header, the current step and as many notes as fit.
 */
export function clipFrame(frame: ReleaseFrame, rows: number): string[] {
  const room = rows - frame.header.length - frame.notes.length;
  if (room >= 1) return [...frame.header, ...stepRows(frame.steps, frame.current, room), ...frame.notes];
  const current = frame.steps[frame.current];
  return [...frame.header, ...(current === undefined ? [] : [current]), ...frame.notes].slice(
    0,
    Math.max(rows, 1),
  );
}

/** The terminal a watch redraws on: its size, and what is written to it. */
export interface Screen {
  columns?: number;
  rows?: number;
  write(text: string): unknown;
}

/**
 * Redraws the frame in place: up over the previous one, clear, draw. Going back up works only if
 * each line drawn took exactly one row and the whole frame stayed on screen, so each line is cut
 * to the width (and line wrap is off while drawing, should a character be wider than counted) and
 * the frame to the height, less one row for the cursor.
 */
export function inPlaceScreen(screen: Screen) {
  let drawn = 0;
  return (frame: ReleaseFrame) => {
    const columns = screen.columns || 120;
    const lines = clipFrame(frame, (screen.rows || 24) - 1).map((line) =>
      fitToWidth(line.replace(/[\r\n]+/g, ' '), columns),
    );
    const back = drawn ? `\x1b[${drawn}F\x1b[J` : '';
    screen.write(`${back}\x1b[?7l${lines.join('\n')}\n\x1b[?7h`);
    drawn = lines.length;
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
  const draw = out.json ? undefined : options.tty ? inPlaceScreen(out.stdout) : undefined;
  const printFacts = out.json || options.tty ? undefined : factPrinter(out);
  let release: Release | undefined;
  let failingSince: number | undefined;
  while (!signal.aborted) {
    try {
      release = await client.get<Release>(`/releases/${encodeURIComponent(id)}`, undefined, { signal });
      if (failingSince !== undefined) out.note(`runway: ${client.url} answers again`);
      failingSince = undefined;
    } catch (error) {
      // Ctrl-C ended the request under way: the watch stops now, not when the API answers.
      if (signal.aborted) break;
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
      draw?.(releaseFrameParts(release, now, out.paint));
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
