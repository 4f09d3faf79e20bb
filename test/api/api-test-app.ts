// The API over the real configuration and runbooks, with a ReleaseService whose Temporal client and
// PostgreSQL pool throw when touched: enough for every path that must answer before reaching them.
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { pino } from 'pino';
import { type AppDeps, createApp } from '../../api/create-app.js';
import { ReleaseService } from '../../api/release-service.js';
import { ReleaseCalendars } from '../../calendar/release-calendars.js';
import { loadConfig } from '../../config/load-config.js';
import { parseDecisionKeys } from '../../security/decision-signature.js';

export const TOKENS = {
  opsWang: 'ops-wang-0f3c9a7d51e2b846',
  pmLi: 'pm-li-7a1e44c09d3b2f65',
  devChen: 'dev-chen-c2b8e1f07a9d3364',
} as const;

export const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
export const jsonAuth = (token: string) => ({ ...auth(token), 'Content-Type': 'application/json' });

/** A dependency that must not be reached: any use fails loudly with what was touched. */
function untouchable<T>(what: string): T {
  return new Proxy(
    {},
    {
      get(_target, property) {
        throw new Error(`${what} touched (${String(property)})`);
      },
    },
  ) as T;
}

export interface TestAppOptions {
  runbookDir?: string;
  readiness?: AppDeps['readiness'];
}

export async function createTestApp(options: TestAppOptions = {}) {
  const config = await loadConfig();
  const logLines: Record<string, unknown>[] = [];
  const rawLog: string[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write: (line: string) => {
        rawLog.push(line);
        logLines.push(JSON.parse(line));
      },
    },
  );
  const calendars = new ReleaseCalendars(config);
  const service = new ReleaseService({
    client: untouchable<Client>('the Temporal client'),
    pool: untouchable<pg.Pool>('the PostgreSQL pool'),
    config,
    logger,
    decisionKeys: parseDecisionKeys(`test:${Buffer.alloc(32, 7).toString('base64url')}`, 'test keys'),
    windowCalendar: calendars,
    ...(options.runbookDir ? { runbookDir: options.runbookDir } : {}),
  });
  const tokens = new Map<string, string>([
    [TOKENS.opsWang, 'ops-wang'],
    [TOKENS.pmLi, 'pm-li'],
    [TOKENS.devChen, 'dev-chen'],
  ]);
  const app = createApp({
    service,
    config,
    tokens,
    logger,
    calendars,
    ...(options.readiness ? { readiness: options.readiness } : {}),
  });
  return { app, config, logLines, rawLog };
}

export interface ErrorJson {
  error: {
    code: string;
    message: string;
    issues?: { path: string; message: string }[];
    requestId?: string;
    activeReleaseId?: string;
  };
}
