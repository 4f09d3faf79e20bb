// Questions asked on the terminal: a y/N confirmation, and a token typed without being shown.
// Prompts go to stderr, so stdout carries only the command's result.
import { createInterface } from 'node:readline/promises';
import { CliError } from './cli-error.js';
import { EXIT } from './exit-codes.js';

/** Where a question is asked: the terminal by default; `terminal` says to read keys (Ctrl-C included). */
export interface PromptStreams {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  terminal?: boolean;
}

/** What Ctrl-C at the [y/N] question ends the command with. */
export const NOT_STARTED_INTERRUPTED = 'interrupted: not started';

/**
 * True only for an explicit yes; anything else (Enter included) is no. Ctrl-C rejects with exit 130:
 * as a key on the terminal (readline's SIGINT) or as a signal (stderr not a terminal, kill -INT).
 */
export async function askYesNo(
  question: string,
  streams: PromptStreams = { input: process.stdin, output: process.stderr },
): Promise<boolean> {
  const reader = createInterface(streams);
  let onInterrupt = () => {};
  const interrupted = new Promise<never>((_, reject) => {
    onInterrupt = () => {
      streams.output.write('\n');
      reject(new CliError(NOT_STARTED_INTERRUPTED, EXIT.interrupted));
    };
  });
  reader.once('SIGINT', onInterrupt);
  process.once('SIGINT', onInterrupt);
  try {
    const asked = reader.question(`${question} [y/N] `);
    // Closing the reader after Ctrl-C rejects the question left unanswered: nobody waits for it.
    asked.catch(() => {});
    const answer = await Promise.race([asked, interrupted]);
    return /^(y|yes)$/i.test(answer.trim());
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    reader.close();
  }
}

/** Reads a line from a terminal without echoing it (raw mode: each key is handled here). */
export function readHidden(prompt: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.removeListener('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(new CliError('interrupted', 130));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else if (char >= ' ') typed += char;
      }
    };
    input.setRawMode(true);
    input.resume();
    input.on('data', onData);
  });
}

/** Everything piped to stdin (a token from a file or a secret store). */
export async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
