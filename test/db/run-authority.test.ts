// The worker's run authority (activities/run-authority.ts) on real PostgreSQL: an activity of a
// release runs only for the run that holds its record, and only with the commands its plan names —
// the rollback verification's driver argument included, which travels through Temporal.
import type { Info } from '@temporalio/activity';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_REFUSED, RunAuthority } from '../../activities/run-authority.js';
import { insertRelease } from '../../db/release-records.js';
import { bindRunIfUnbound } from '../../db/release-runs.js';
import { createLogger } from '../../logging/logger.js';
import type { ReleasePlan, RollingDriverSpec } from '../../workflows/release-model.js';
import { type MigratedDatabase, startMigratedDatabase } from '../support/migrated-database.js';

const RELEASE_ID = 'edm-sender-regular-1.1.0-runauth';
const RUN_ID = 'run-that-holds-it';
const command = (...argv: string[]) => ({ argv, timeoutMs: 30_000, envFrom: {} });
const driver = {
  type: 'command',
  actions: {
    instances: command('node', 'demo/dist/edm-ctl.mjs', 'instances', '--env', 'test'),
    update: command('node', 'demo/dist/edm-ctl.mjs', 'update', '--env', 'test'),
    check: command('node', 'demo/dist/edm-ctl.mjs', 'check-instance', '--env', 'test'),
  },
} as unknown as RollingDriverSpec;
const plan = {
  type: 'regular',
  description: 'one rolling deploy',
  steps: [{ id: 'deploy-test', kind: 'deploy', environment: 'test', strategy: 'rolling', driver }],
  rollback: { verification: { test: { url: 'http://127.0.0.1:4130', checks: [] } } },
} as unknown as ReleasePlan;

let database: MigratedDatabase;
let pool: pg.Pool;
let authority: RunAuthority;
const terminated: string[] = [];

const info = (runId: string, activityType = 'verifyRollback') =>
  ({
    activityType,
    workflowType: 'releaseWorkflowV2',
    workflowExecution: { workflowId: RELEASE_ID, runId },
  }) as unknown as Info;
const verifyRollbackArgs = (rolling: unknown) => [
  {
    releaseId: RELEASE_ID,
    environment: 'test',
    service: 'edm-sender',
    expectedVersion: '1.0.0',
    restored: { instances: { 'sender-1': '1.0.0' } },
    drivers: { rolling },
    spec: { url: 'http://127.0.0.1:4130', checks: [] },
  },
];
const refusals = async () =>
  (
    await pool.query(
      `SELECT reason FROM audit_events WHERE action = 'workflow.activity-refused' AND target = $1 ORDER BY id`,
      [RELEASE_ID],
    )
  ).rows.map((row) => row.reason as string);

beforeAll(async () => {
  database = await startMigratedDatabase();
  pool = new pg.Pool({ connectionString: database.appUrl, max: 2 });
  await insertRelease(pool, {
    id: RELEASE_ID,
    workflowType: 'releaseWorkflowV2',
    type: 'regular',
    service: 'edm-sender',
    version: '1.1.0',
    requestedBy: 'ops-wang',
    plan,
    environments: ['test'],
    temporalUrl: 'http://localhost:8233',
  } as never);
  await bindRunIfUnbound(pool, RELEASE_ID, RUN_ID);
  authority = new RunAuthority({
    pool,
    logger: createLogger('run-authority', { level: 'silent' }),
    terminate: async (workflowId, runId) => {
      terminated.push(`${workflowId}/${runId}`);
    },
  });
}, 120_000);

afterAll(async () => {
  await pool?.end();
  await database?.stop();
});

describe('the run authority before a rollback verification', () => {
  it('lets the run that holds the release ask its own plan’s driver', async () => {
    await expect(authority.admit(info(RUN_ID), verifyRollbackArgs(driver))).resolves.toBeUndefined();
    expect(await refusals()).toEqual([]);
  });

  it('refuses a driver command the plan does not name, records it and ends the run', async () => {
    const forged = {
      ...driver,
      actions: { ...driver.actions, instances: command('sh', '-c', 'cat /etc/shadow') },
    };
    await expect(authority.admit(info(RUN_ID), verifyRollbackArgs(forged))).rejects.toMatchObject({
      type: RUN_REFUSED,
      nonRetryable: true,
    });
    expect(await refusals()).toEqual([
      expect.stringMatching(/a command \(\["sh","-c","cat \/etc\/shadow"\]\) not in its plan/),
    ]);
    expect(terminated).toEqual([`${RELEASE_ID}/${RUN_ID}`]);
  });

  it('refuses another run of the same release, whatever it sends', async () => {
    await expect(authority.admit(info('a-reset-run'), verifyRollbackArgs(driver))).rejects.toMatchObject({
      type: RUN_REFUSED,
    });
    expect((await refusals()).at(-1)).toMatch(/run a-reset-run does not hold release/);
  });
});
