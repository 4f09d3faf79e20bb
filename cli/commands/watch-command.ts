// runway watch <release>: follows a release until it ends; its exit code says how.
import type { Command } from 'commander';
import { action, type CommandContext, withCommonOptions } from '../command-context.js';
import { formatDuration, parseDuration } from '../durations.js';
import { EXIT, EXIT_CODES_HELP, type ExitCode } from '../exit-codes.js';
import { outcomeLine } from '../release-view.js';
import { watchRelease } from '../release-watch.js';

export const WATCH_HELP = `
Asks the API at most every 2 s. On a terminal the release is redrawn in place; otherwise each change
is printed once, on its own line. With --json nothing is printed until the end, then the release
view as the API answers it.

${EXIT_CODES_HELP}`;

/** Watches until the release ends, --timeout passes or Ctrl-C; returns the exit code. */
export async function followRelease(
  context: CommandContext,
  id: string,
  timeoutMs: number | undefined,
): Promise<ExitCode> {
  const { out } = context;
  const interrupt = new AbortController();
  const onInterrupt = () => interrupt.abort();
  process.once('SIGINT', onInterrupt);
  try {
    const end = await watchRelease(context.client(), id, {
      out,
      tty: out.stdout.isTTY === true,
      signal: interrupt.signal,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    if (end.kind === 'interrupted') {
      out.note(`runway: stopped watching; ${id} keeps running (runway watch ${id} follows it again)`);
      return EXIT.interrupted;
    }
    if (out.json) out.printJson(end.release);
    if (end.kind === 'timeout') {
      out.note(
        `runway: ${id} is still ${end.release.status} after ${formatDuration(timeoutMs ?? 0)}: stopped watching; the release keeps running`,
      );
      return EXIT.timeout;
    }
    if (!out.json) out.print(outcomeLine(end.release, Date.now(), out.paint));
    return end.exitCode;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}

export function registerWatchCommand(program: Command): void {
  withCommonOptions(
    program
      .command('watch')
      .description('follow a release live, step by step, until it ends')
      .argument('<release>', 'the release id')
      .option('--timeout <duration>', 'stop watching after this long (90s, 30m, 2h), exit 5', parseDuration),
  )
    .addHelpText('after', WATCH_HELP)
    .action(
      action(async (context, id: string, options: { timeout?: number }) =>
        followRelease(context, id, options.timeout),
      ),
    );
}
