// R-AUDIT: the application's role adds to the audit trail and reads it, never changes it; it still
// does all of its ordinary work on the release records. The owner cannot change entries by accident.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseAlert } from '../../alerts/notifier.js';
import { listReleaseAlerts, RecordingNotifier } from '../../alerts/recording-notifier.js';
import { APPLICATION_ROLE, applicationUrl, provisionApplicationRole } from '../../db/application-role.js';
import { AuditLog, REFUSED_DECISION_ACTION } from '../../db/audit-log.js';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  releaseIdempotencyKey,
} from '../../db/idempotency-keys.js';
import { migrateDatabase } from '../../db/migrate-database.js';
import {
  applyTransition,
  deleteRelease,
  getRelease,
  insertRelease,
  type ReleaseTransition,
} from '../../db/release-records.js';
import { createLogger } from '../../logging/logger.js';
import { startEmbeddedPostgres } from '../../stack/embedded-postgres.js';
import { getFreePort } from '../../stack/free-port.js';
import type { DecisionRecord, ReleasePlan } from '../../workflows/release-model.js';
import { type MigratedDatabase, startMigratedDatabase } from '../support/migrated-database.js';

let database: MigratedDatabase;
let owner: pg.Pool;
let app: pg.Pool;

beforeAll(async () => {
  database = await startMigratedDatabase();
  owner = new pg.Pool({ connectionString: database.ownerUrl, max: 2 });
  app = new pg.Pool({ connectionString: database.appUrl, max: 2 });
  // pool.end() lets go of its connections before they have closed; the server stopping right after
  // may still end one, which is no failure of the test.
  for (const pool of [owner, app]) pool.on('error', () => {});
});

afterAll(async () => {
  await app?.end();
  await owner?.end();
  await database?.stop();
});

const PERMISSION_DENIED = {
  code: '42501',
  message: expect.stringMatching(/permission denied for table audit_events/),
};

describe('the audit trail, as the application role', () => {
  it('adds and reads entries', async () => {
    await new AuditLog(app).record({
      actor: 'ops-wang',
      action: 'releases.list',
      target: '/api/v1/releases',
      environment: null,
      outcome: 'allowed',
      status: 200,
      reason: null,
      requestId: 'req-role-1',
      details: { method: 'GET' },
    });
    const { rows } = await app.query(
      "SELECT actor, outcome FROM audit_events WHERE request_id = 'req-role-1'",
    );
    expect(rows).toEqual([{ actor: 'ops-wang', outcome: 'allowed' }]);
  });

  it.each([
    ['UPDATE', "UPDATE audit_events SET actor = 'someone-else'"],
    ['DELETE', 'DELETE FROM audit_events'],
    ['TRUNCATE', 'TRUNCATE audit_events'],
  ])('is refused %s with permission denied', async (_operation, sql) => {
    await expect(app.query(sql)).rejects.toMatchObject(PERMISSION_DENIED);
    const { rows } = await owner.query("SELECT actor FROM audit_events WHERE request_id = 'req-role-1'");
    expect(rows).toEqual([{ actor: 'ops-wang' }]);
  });

  it('cannot change the schema: no DDL, no dropping the guard', async () => {
    await expect(app.query('CREATE TABLE shadow (id int)')).rejects.toMatchObject({ code: '42501' });
    await expect(
      app.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only'),
    ).rejects.toMatchObject({
      code: '42501',
    });
    await expect(app.query('DROP TABLE audit_events')).rejects.toMatchObject({ code: '42501' });
  });
});

describe('the audit trail, as the owner', () => {
  it.each([
    ['UPDATE', "UPDATE audit_events SET actor = 'someone-else'"],
    ['DELETE', 'DELETE FROM audit_events'],
    ['TRUNCATE', 'TRUNCATE audit_events'],
  ])('refuses %s too (append-only trigger)', async (operation, sql) => {
    await expect(owner.query(sql)).rejects.toThrow(`audit_events is append-only: ${operation} refused`);
  });
});

describe('privileges of the application role', () => {
  it('are the ordinary ones on every table but the audit trail, and none on the migrations table', async () => {
    const { rows } = await owner.query<{ table_name: string; privileges: string[] }>(
      `SELECT table_name, ARRAY(SELECT p FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE']) AS p
         WHERE has_table_privilege($1, quote_ident(table_name), p)) AS privileges
       FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`,
      [APPLICATION_ROLE],
    );
    const ordinary = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];
    // A new table gets the ordinary rights by default; one that must not list them here. Alerts and
    // backups are facts, like the audit trail: added and read, never changed.
    const expected: Record<string, string[]> = {
      audit_events: ['SELECT', 'INSERT'],
      release_alerts: ['SELECT', 'INSERT'],
      release_alert_deliveries: ['SELECT', 'INSERT'],
      release_backups: ['SELECT', 'INSERT'],
      pgmigrations: [],
    };
    expect(Object.fromEntries(rows.map((row) => [row.table_name, row.privileges]))).toEqual(
      Object.fromEntries(rows.map((row) => [row.table_name, expected[row.table_name] ?? ordinary])),
    );
    expect(rows.map((row) => row.table_name)).toEqual(
      expect.arrayContaining([
        'releases',
        'release_steps',
        'release_decisions',
        'api_idempotency_keys',
        'release_alerts',
        'release_backups',
      ]),
    );
  });

  it('let the application raise an alert once per key and read it, but never change or remove one', async () => {
    const id = 'edm-sender-regular-1.0.0-alerts';
    await insertRelease(app, {
      id,
      type: 'regular',
      service: 'edm-sender',
      version: '1.0.0',
      requestedBy: 'ops-wang',
      plan: { steps: [] } as unknown as ReleasePlan,
      environments: ['production'],
      temporalUrl: 'http://localhost:8233',
      workflowType: 'releaseWorkflowV2',
    });
    const notifier = new RecordingNotifier(app, createLogger('role-alerts', { level: 'silent' }));
    const alert: ReleaseAlert = {
      key: 'compensation-failed/deploy-production',
      level: 'P0',
      kind: 'compensation-failed',
      releaseId: id,
      service: 'edm-sender',
      stepId: 'deploy-production',
      environment: 'production',
      message: 'the rolling update could not be undone',
    };
    await notifier.notify(alert);
    // A retried raise (ON CONFLICT DO NOTHING) needs no more than INSERT.
    await notifier.notify(alert);
    expect((await listReleaseAlerts(app, id)).map((recorded) => recorded.key)).toEqual([alert.key]);
    for (const sql of [
      "UPDATE release_alerts SET level = 'P3'",
      'DELETE FROM release_alerts',
      'TRUNCATE release_alerts',
    ]) {
      await expect(app.query(sql)).rejects.toMatchObject({
        code: '42501',
        message: expect.stringMatching(/permission denied for table release_alerts/),
      });
    }
    for (const sql of ["UPDATE release_backups SET key_id = 'other'", 'DELETE FROM release_backups']) {
      await expect(app.query(sql)).rejects.toMatchObject({
        code: '42501',
        message: expect.stringMatching(/permission denied for table release_backups/),
      });
    }
    const { rows } = await owner.query('SELECT level FROM release_alerts WHERE release_id = $1', [id]);
    expect(rows).toEqual([{ level: 'P0' }]);
  });

  it('suffice for a release record, its steps and decisions, and the idempotency keys', async () => {
    const plan = {
      steps: [
        { id: 'deploy-test', kind: 'deploy', environment: 'test' },
        { id: 'change-approval', kind: 'approval', environment: 'production' },
      ],
    } as unknown as ReleasePlan;
    const id = 'edm-web-regular-1.0.0-role01';
    await insertRelease(app, {
      id,
      type: 'regular',
      service: 'edm-web',
      version: '1.0.0',
      requestedBy: 'ops-wang',
      plan,
      environments: ['test', 'production'],
      temporalUrl: 'http://localhost:8233',
      workflowType: 'releaseWorkflowV2',
    });
    const refused: DecisionRecord = {
      seq: 1,
      decisionId: null,
      gateId: 'change-approval',
      actor: 'mallory',
      roles: ['pm'],
      decision: 'approve',
      at: new Date().toISOString(),
      outcome: 'refused',
      refusal: 'unverified',
      reason: 'signature not verified: unknown key',
      via: 'signal',
    };
    const transition: ReleaseTransition = {
      releaseId: id,
      seq: 1,
      status: 'awaiting-approval',
      currentStep: 'change-approval',
      environment: 'production',
      failure: null,
      pendingGate: null,
      rollbackPlan: [],
      holdsLock: true,
      finished: false,
      steps: [
        {
          id: 'deploy-test',
          name: 'Deploy to TEST',
          environment: 'test',
          kind: 'deploy',
          status: 'succeeded',
          startedAt: new Date().toISOString(),
        },
      ],
      decisions: [refused],
    };
    expect(await applyTransition(app, transition)).toBe(true);
    // The same write retried (a local activity after a lost answer) adds no second audit entry.
    await applyTransition(app, transition);
    const record = await getRelease(app, id);
    expect(record?.steps.map((step) => step.status)).toEqual(['succeeded']);
    expect(record?.decisions.map((decision) => decision.outcome)).toEqual(['refused']);
    const audited = await app.query('SELECT * FROM audit_events WHERE action = $1 AND target = $2', [
      REFUSED_DECISION_ACTION,
      id,
    ]);
    expect(audited.rows).toEqual([
      expect.objectContaining({
        actor: 'mallory',
        environment: 'production',
        outcome: 'refused',
        status: null,
        reason: 'unverified: signature not verified: unknown key',
        details: expect.objectContaining({ seq: 1, gateId: 'change-approval', via: 'signal' }),
      }),
    ]);

    const claim = { identity: 'ops-wang', key: 'k-1', requestHash: 'h', releaseId: id, leaseSeconds: 30 };
    expect((await claimIdempotencyKey(app, claim)).holder).toBe(true);
    await completeIdempotencyKey(app, 'ops-wang', 'k-1');
    await releaseIdempotencyKey(app, 'ops-wang', 'k-1');
    // A record its workflow never claimed may be removed; its audit entries stay.
    await app.query('UPDATE releases SET claimed_at = NULL WHERE id = $1', [id]);
    await deleteRelease(app, id);
    expect(await getRelease(app, id)).toBeUndefined();
    expect((await app.query('SELECT 1 FROM audit_events WHERE target = $1', [id])).rowCount).toBe(1);
  });
});

describe('provisioning the application role', () => {
  it('changes the password when run again: the old one no longer logs in', async () => {
    const newUrl = await provisionApplicationRole(database.ownerUrl, 'another-password-0123456789');
    expect(newUrl).toBe(applicationUrl(database.ownerUrl, 'another-password-0123456789'));
    const fresh = new pg.Client({ connectionString: newUrl });
    await fresh.connect();
    expect((await fresh.query('SELECT current_user AS who')).rows).toEqual([{ who: APPLICATION_ROLE }]);
    await fresh.end();
    const stale = new pg.Client({ connectionString: database.appUrl });
    await expect(stale.connect()).rejects.toMatchObject({ code: '28P01' });
    database.appUrl = newUrl;
  });

  it('refuses a password that is short or not visible ASCII, before touching the database', async () => {
    await expect(provisionApplicationRole('postgres://nowhere.invalid/x', 'short')).rejects.toThrow(
      /at least 16 visible ASCII characters/,
    );
    await expect(
      provisionApplicationRole('postgres://nowhere.invalid/x', 'a password with spaces'),
    ).rejects.toThrow(/visible ASCII/);
  });
});

describe('an owner that is no superuser (docker-compose.yml)', () => {
  it('creates the application role, grants it, and gives it a login: CREATEROLE is all it needs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runway-owner-test-'));
    const cluster = await startEmbeddedPostgres({
      dataDir: join(dir, 'postgres'),
      port: await getFreePort(),
      database: 'postgres',
    });
    try {
      // What deploy/compose/create-runway-database.sh does as the cluster's superuser.
      const superuser = new pg.Client({ connectionString: cluster.connectionString });
      await superuser.connect();
      await superuser.query("CREATE ROLE runway_owner LOGIN CREATEROLE PASSWORD 'owner-password-0123'");
      await superuser.query('CREATE DATABASE runway_compose OWNER runway_owner');
      await superuser.end();
      const ownerUrl = new URL(cluster.connectionString);
      ownerUrl.username = 'runway_owner';
      ownerUrl.password = 'owner-password-0123';
      ownerUrl.pathname = '/runway_compose';
      await migrateDatabase(ownerUrl.toString());
      const appUrl = await provisionApplicationRole(ownerUrl.toString(), 'application-password-0123');
      const application = new pg.Client({ connectionString: appUrl });
      await application.connect();
      try {
        await application.query(
          "INSERT INTO audit_events (action, target, outcome) VALUES ('releases.list', '/api/v1/releases', 'allowed')",
        );
        await expect(application.query('DELETE FROM audit_events')).rejects.toMatchObject(PERMISSION_DENIED);
        expect((await application.query('SELECT count(*)::int AS n FROM releases')).rows).toEqual([{ n: 0 }]);
      } finally {
        await application.end();
      }
    } finally {
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
      if (cluster.dataDir !== join(dir, 'postgres'))
        await rm(cluster.dataDir, { recursive: true, force: true });
    }
  });
});
