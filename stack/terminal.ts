// The launcher's lines for the person at the terminal. Its output may be a pipe whose reader is gone
// (`npm start | tee start.log` after tee died): writing then stops quietly instead of failing, because
// stopping the stack must never depend on being able to say so.

export interface Terminal {
  /** A progress line, `[runway] …`, on stdout. */
  say(line: string): void;
  /** Text as it is, on stdout. */
  print(text: string): void;
  /** A line on stderr. */
  complain(line: string): void;
}

export function createTerminal(prefix = '[runway]'): Terminal {
  const broken = new Set<NodeJS.WriteStream>();
  for (const stream of [process.stdout, process.stderr]) {
    // EPIPE and friends arrive as 'error' events; without a listener each would be an uncaught exception.
    stream.on('error', () => broken.add(stream));
  }
  const write = (stream: NodeJS.WriteStream, text: string) => {
    if (broken.has(stream) || stream.destroyed || !stream.writable) return;
    try {
      stream.write(text);
    } catch {
      broken.add(stream);
    }
  };
  return {
    say: (line) => write(process.stdout, `${prefix} ${line}\n`),
    print: (text) => write(process.stdout, text.endsWith('\n') ? text : `${text}\n`),
    complain: (line) => write(process.stderr, `${prefix} ${line}\n`),
  };
}
