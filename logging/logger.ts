// Structured logs: one JSON line per event (pino). Callers add `releaseId` with `logger.child(...)`.
import { type DestinationStream, type Logger, pino } from 'pino';
import { scrubSecrets } from './secret-values.js';

export type { Logger } from 'pino';

export function createLogger(
  name: string,
  options: { level?: string; destination?: DestinationStream } = {},
): Logger {
  return pino(
    {
      name,
      level: options.level ?? process.env.RUNWAY_LOG_LEVEL ?? 'info',
      // Tokens and connection strings must never reach a log line (R-SECRETS): by where they sit,
      // and by value for every secret the process registered, wherever it sits.
      redact: {
        paths: [
          'token',
          '*.token',
          'authorization',
          '*.authorization',
          '*.headers.authorization',
          '*.headers.cookie',
          'connectionString',
          '*.connectionString',
          'password',
          '*.password',
        ],
        censor: '[redacted]',
      },
      hooks: { streamWrite: scrubSecrets },
    },
    options.destination,
  );
}

/**
 * A log file for long-running local processes, so the terminal keeps only the progress lines.
 * Written synchronously: a process may exit at any moment (a failed start, Ctrl-C), and an
 * asynchronous file stream that is still opening or holds buffered lines then throws ("sonic boom
 * is not ready yet") or loses the lines that say why it stopped.
 */
export function logFile(path: string): DestinationStream {
  return pino.destination({ dest: path, mkdir: true, sync: true });
}
