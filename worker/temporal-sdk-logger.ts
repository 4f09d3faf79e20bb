import { DefaultLogger } from '@temporalio/worker';
import type { Logger } from '../logging/logger.js';

/** Sends the Temporal SDK's own log lines (worker state, bundling) into a pino logger. */
export function temporalSdkLogger(logger: Logger, level: 'DEBUG' | 'INFO' | 'WARN' = 'INFO'): DefaultLogger {
  return new DefaultLogger(level, ({ level: entryLevel, message, meta }) => {
    const method =
      entryLevel === 'TRACE' ? 'trace' : (entryLevel.toLowerCase() as 'debug' | 'info' | 'warn' | 'error');
    logger[method]({ component: 'temporal-sdk', ...meta }, message);
  });
}
