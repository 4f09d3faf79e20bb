// Structured logs: one JSON line per event (pino). Callers add `releaseId` with `logger.child(...)`.
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(name: string, level = process.env.RUNWAY_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    // Tokens and connection strings must never reach a log line (R-SECRETS).
    redact: {
      paths: ['token', '*.token', 'authorization', '*.authorization', 'connectionString', '*.password'],
      censor: '[redacted]',
    },
  });
}
