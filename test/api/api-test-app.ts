// The API over the real configuration and runbooks, with a ReleaseService whose Temporal client and
// PostgreSQL pool throw when touched: enough for every path that must answer before reaching them.
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { pino } from 'pino';
import { type AppDeps, createApp } from '../../api/create-app.js';
import { ReleaseService } from '../../api/release-service.js';
import { ReleaseCalendars } from '../../calendar/release-calendars.js';
import type { RunwayConfig } from '../../config/config-schema.js';
import { loadConfig } from '../../config/load-config.js';
import { AuditLog } from '../../db/audit-log.js';
import { parseDecisionKeys } from '../../security/decision-signature.js';

export const TOKENS = {
  opsWang: 'ops-wang-0f3c9a7d51e2b846',
  pmLi: 'pm-li-7a1e44c09d3b2f65',
  devChen: 'dev-chen-c2b8e1f07a9d3364',
  tlZhang: 'tl-zhang-5d0b7e2c8a41f936',
  qaSun: 'qa-sun-91c4e7a20d6b3f58',
  adminZhao: 'admin-zhao-3e8f1a6c09b2d475',
  adminQian: 'admin-qian-b7d20c9e4f1a6835',
  /** An identity with a token but no grant in any environment: it holds no role at all. */
  nobody: 'nobody-6a3f0e9d1c7b2485',
} as const;

/** Identity name → its token in the test app. */
export const IDENTITY_TOKENS: Record<string, string> = {
  'ops-wang': TOKENS.opsWang,
  'pm-li': TOKENS.pmLi,
  'dev-chen': TOKENS.devChen,
  'tl-zhang': TOKENS.tlZhang,
  'qa-sun': TOKENS.qaSun,
  'admin-zhao': TOKENS.adminZhao,
  'admin-qian': TOKENS.adminQian,
  nobody: TOKENS.nobody,
};

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
  /** By default over the untouchable pool: every request's entry fails, and is logged, not answered. */
  audit?: AuditLog;
  /** Mounts the codec endpoint (/codec) over this codec. */
  payloadCodec?: AppDeps['payloadCodec'];
  codecAccess?: 'token' | 'local-open';
  /** Changes the loaded configuration before the app is built (codec.oidc, identities' oidcSubject). */
  configure?: (config: RunwayConfig) => void;
  /** Measures request durations by route template (the API's /metrics). */
  httpMetrics?: AppDeps['httpMetrics'];
}

export async function createTestApp(options: TestAppOptions = {}) {
  const config = await loadConfig();
  if (options.codecAccess) config.settings.codec.access = options.codecAccess;
  options.configure?.(config);
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
  const tokens = new Map<string, string>(
    Object.entries(IDENTITY_TOKENS).map(([name, token]) => [token, name]),
  );
  const app = createApp({
    service,
    config,
    tokens,
    logger,
    calendars,
    audit: options.audit ?? new AuditLog(untouchable<pg.Pool>('the PostgreSQL pool')),
    ...(options.readiness ? { readiness: options.readiness } : {}),
    ...(options.payloadCodec ? { payloadCodec: options.payloadCodec } : {}),
    ...(options.httpMetrics ? { httpMetrics: options.httpMetrics } : {}),
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
