// The [y/N] question `runway deploy` asks before production, on a terminal's keys: only a yes
// starts, and Ctrl-C ends the command with exit 130, nothing started.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../cli/cli-error.js';
import { EXIT } from '../../cli/exit-codes.js';
import { askYesNo, NOT_STARTED_INTERRUPTED } from '../../cli/prompt.js';

/** A terminal the question is asked on: keys typed into input, what is shown collected from output. */
function keyboard() {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (chunk: Buffer) => {
    shown += chunk.toString('utf8');
  });
  return {
    streams: { input, output, terminal: true },
    type: (keys: string) => input.write(keys),
    shown: () => shown,
  };
}

describe('the question before production', () => {
  it('is yes only for y or yes; Enter is no', async () => {
    for (const [keys, yes] of [
      ['y\r', true],
      ['YES\r', true],
      ['\r', false],
      ['n\r', false],
      ['yep\r', false],
    ] as const) {
      const terminal = keyboard();
      const answer = askYesNo(
        'Start edm-web 1.1.0 (regular), which deploys to production?',
        terminal.streams,
      );
      terminal.type(keys);
      expect(await answer, keys).toBe(yes);
      expect(terminal.shown()).toContain('which deploys to production? [y/N] ');
    }
  });

  it('ends with exit 130 and says nothing was started when Ctrl-C is pressed', async () => {
    const terminal = keyboard();
    const listeners = process.listenerCount('SIGINT');
    const answer = askYesNo('Start edm-web 1.1.0 (regular), which deploys to production?', terminal.streams);
    // While it asks, a SIGINT from outside the terminal (kill -INT, stderr redirected) is caught too.
    expect(process.listenerCount('SIGINT')).toBe(listeners + 1);
    terminal.type('\u0003');
    const error = await answer.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ message: NOT_STARTED_INTERRUPTED, exitCode: EXIT.interrupted });
    expect(NOT_STARTED_INTERRUPTED).toMatch(/not started/);
    expect(process.listenerCount('SIGINT')).toBe(listeners);
  });
});
