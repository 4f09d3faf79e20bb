// What makes reads cheap must not make them stale or lossy: a release's record version moves with
// every change its view shows, whoever writes it; an API process's kept release is read again once
// it moved, also when another process wrote; and audit entries committed together are each
// committed, in order, one refused entry costing only itself.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordDelivery } from '../../alerts/alert-deliveries.js';
import { RecordingNotifier } from '../../alerts/recording-notifier.js';
import { ReleaseRecordCache } from '../../api/services/release-record-cache.js';
import { type AuditEntry, AuditLog } from '../../db/audit-log.js';
import {
  applyTransition,
  insertRelease,
  type ReleaseTransition,
  releaseRecordVersion,
  upsertStep,
} from '../../db/release-records.js';
import { createLogger } from '../../logging/logger.js';
import type { ReleasePlan } from '../../workflows/release-model.js';
import { type MigratedDatabase, startMigratedDatabase } from '../support/migrated-database.js';

let database: MigratedDatabase;
let app: pg.Pool;
/** Another API replica: its own connections, sharing nothing with `app` but the database. */
let otherReplica: pg.Pool;
let owner: pg.Pool;

beforeAll(async () => {
  database = await startMigratedDatabase();
  app = new pg.Pool({ connectionString: database.appUrl, max: 4 });
  otherReplica = new pg.Pool({ connectionString: database.appUrl, max: 2 });
  owner = new pg.Pool({ connectionString: database.ownerUrl, max: 1 });
  for (const pool of [app, otherReplica, owner]) pool.on('error', () => {});
});

afterAll(async () => {
  for (const pool of [app, otherReplica, owner]) await pool?.end();
  await database?.stop();
});

const PLAN = {
  steps: [
    { id: 'deploy-test', kind: 'deploy', environment: 'test' },
    { id: 'change-approval', kind: 'approval', environment: 'production' },
  ],
} as unknown as ReleasePlan;

async function newRelease(id: string): Promise<void> {
  await insertRelease(
    app,
    {
      id,
      type: 'regular',
      service: `svc-${id.slice(-6)}`,
      version: '1.0.0',
      requestedBy: 'ops-wang',
      plan: PLAN,
      environments: ['test', 'production'],
      temporalUrl: 'http://localhost:8233',
      workflowType: 'releaseWorkflowV2',
    },
    { holdsLock: false },
  );
}

const step = (status: 'running' | 'succeeded') => ({
  id: 'deploy-test',
  name: 'Deploy to TEST',
  environment: 'test',
  kind: 'deploy' as const,
  status,
  startedAt: new Date().toISOString(),
});

function transition(id: string, seq: number, finished: boolean): ReleaseTransition {
  return {
    releaseId: id,
    seq,
    status: finished ? 'succeeded' : 'awaiting-approval',
    currentStep: finished ? null : 'change-approval',
    environment: finished ? null : 'production',
    failure: null,
    pendingGate: null,
    rollbackPlan: [],
    holdsLock: false,
    finished,
    steps: [step('succeeded')],
    decisions: [
      {
        seq,
        decisionId: null,
        gateId: 'change-approval',
        actor: 'pm-li',
        roles: ['pm'],
        decision: 'approve',
        at: new Date().toISOString(),
        outcome: 'counted',
        via: 'update',
      },
    ],
  };
}

describe('a release record version', () => {
  it('moves with the record, its steps, decisions, alerts and their deliveries', async () => {
    const id = 'edm-web-regular-1.0.0-ver001';
    await newRelease(id);
    const versions = [await releaseRecordVersion(app, id)];
    const moved = async (what: string, change: () => Promise<unknown>) => {
      await change();
      const version = await releaseRecordVersion(app, id);
      expect(version, what).toBeGreaterThan(versions.at(-1) as number);
      versions.push(version);
    };
    await moved('a step', () => upsertStep(app, id, step('running')));
    await moved('the step again', () => upsertStep(app, id, step('succeeded')));
    await moved('a transition with a decision', () => applyTransition(app, transition(id, 1, false)));
    const notifier = new RecordingNotifier(app, createLogger('record-version', { level: 'silent' }));
    await moved('an alert', () =>
      notifier.notify({
        key: 'stage/production',
        level: 'P3',
        kind: 'stage-changed',
        releaseId: id,
        service: 'edm-web',
        stepId: 'change-approval',
        environment: 'production',
        message: 'waiting for approval',
      }),
    );
    await moved("the alert's delivery", () =>
      recordDelivery(app, id, {
        alertKey: 'stage/production',
        channel: 'ops-mail',
        channelType: 'email',
        outcome: 'delivered',
        attempts: 1,
        error: null,
      }),
    );
    await moved('the record itself (a post-hoc document, say)', () =>
      app.query(`UPDATE releases SET post_hoc = '{"state":"due"}'::jsonb WHERE id = $1`, [id]),
    );
    expect(await releaseRecordVersion(app, 'no-such-release')).toBeUndefined();
  });
});

describe('the kept releases of an API process', () => {
  it('serve a release again only while its version stands, whoever changed it', async () => {
    const id = 'edm-web-regular-1.0.0-cache01';
    await newRelease(id);
    await applyTransition(app, transition(id, 1, false));
    const cache = new ReleaseRecordCache(app);
    const first = await cache.read(id);
    expect(first?.release.status).toBe('awaiting-approval');
    // Unchanged: the very same assembled release, no second assembly.
    expect(await cache.read(id)).toBe(first);
    // Another replica (here: its pool) finishes the release.
    await applyTransition(otherReplica, transition(id, 2, true));
    const after = await cache.read(id);
    if (!after) throw new Error(`${id} was not read`);
    expect(after).not.toBe(first);
    expect(after.release.status).toBe('succeeded');
    expect(after.release.decisions.map((decision) => decision.seq)).toEqual([1, 2]);
    // Kept releases are shared by every request: none may change one.
    expect(() => {
      (after.release.steps as unknown[]).push({});
    }).toThrow(TypeError);
    // Removed by its owner (a release that was never claimed): gone for readers too.
    await owner.query('DELETE FROM release_decisions WHERE release_id = $1', [id]);
    await owner.query('DELETE FROM release_steps WHERE release_id = $1', [id]);
    await owner.query('DELETE FROM releases WHERE id = $1', [id]);
    expect(await cache.read(id)).toBeUndefined();
  });

  it('hold no more releases than their capacity, the least recently read going first', async () => {
    const cache = new ReleaseRecordCache(app, 2);
    const ids = [
      'edm-web-regular-1.0.0-lru001',
      'edm-web-regular-1.0.0-lru002',
      'edm-web-regular-1.0.0-lru003',
    ];
    for (const id of ids) await newRelease(id);
    const first = await cache.read(ids[0] as string);
    await cache.read(ids[1] as string);
    await cache.read(ids[0] as string);
    await cache.read(ids[2] as string);
    expect(cache.size).toBe(2);
    // The first was read more recently than the second, so it stayed.
    expect(await cache.read(ids[0] as string)).toBe(first);
  });
});

describe('audit entries committed together', () => {
  const entry = (index: number, outcome = 'allowed'): AuditEntry => ({
    actor: 'dev-chen',
    action: 'releases.get',
    target: `group-commit-${index}`,
    environment: null,
    outcome: outcome as AuditEntry['outcome'],
    status: 200,
    reason: null,
    requestId: `request-${index}`,
    details: index % 2 === 0 ? { index } : null,
  });

  it('are each committed, in the order recorded, in fewer statements than entries', async () => {
    let statements = 0;
    const counting = {
      query: (...args: Parameters<pg.Pool['query']>) => {
        statements += 1;
        return (app.query as (...a: unknown[]) => unknown)(...args);
      },
    } as unknown as pg.Pool;
    const audit = new AuditLog(counting);
    await Promise.all(Array.from({ length: 100 }, (_, index) => audit.record(entry(index))));
    const { rows } = await owner.query(
      "SELECT target, request_id, details FROM audit_events WHERE target LIKE 'group-commit-%' ORDER BY id",
    );
    expect(rows.map((row) => row.target)).toEqual(
      Array.from({ length: 100 }, (_, index) => `group-commit-${index}`),
    );
    expect(rows[2]).toEqual({ target: 'group-commit-2', request_id: 'request-2', details: { index: 2 } });
    expect(rows[1].details).toBeNull();
    expect(statements).toBeLessThan(10);
  });

  it('lose nothing to one entry the table refuses: that entry fails alone', async () => {
    const audit = new AuditLog(app);
    const results = await Promise.allSettled(
      [100, 101, 102].map((index) => audit.record(entry(index, index === 101 ? 'invented' : 'allowed'))),
    );
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const { rows } = await owner.query(
      "SELECT target FROM audit_events WHERE target IN ('group-commit-100', 'group-commit-101', 'group-commit-102') ORDER BY id",
    );
    expect(rows.map((row) => row.target)).toEqual(['group-commit-100', 'group-commit-102']);
  });
});
