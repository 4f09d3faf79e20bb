import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReleaseSchema } from '../../api/release-schemas.js';
import { routeTable } from '../../api/route-roles.js';
import { loadRunbook } from '../../runbooks/load-runbook.js';
import { resolveReleasePlan } from '../../runbooks/resolve-release-plan.js';
import type { ReleasePlan } from '../../workflows/release-model.js';
import { releaseApi } from '../support/release-api.js';
import { releaseWorkflowBundle } from '../support/release-workflow-bundle.js';
import { startTestStack, type TestStack } from '../support/runway-stack.js';
import { createTestApp } from './api-test-app.js';

let stack: TestStack;
let owner: pg.Pool;
let plan: ReleasePlan;

beforeAll(async () => {
  stack = await startTestStack(await releaseWorkflowBundle(), {
    // Someone with deploy who cannot read the seeded releases' environments: a 404, never a 403.
    configure: (config) => {
      const development = config.environments.development;
      if (development) development.grants['qa-sun'] = ['read', 'deploy'];
      // The rollback verification's probe of the service: a second is enough here.
      const service = config.services['edm-web'];
      if (service) service.analysis.recoverySeconds = 1;
    },
  });
  owner = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  owner.on('error', () => {});
  plan = resolveReleasePlan({
    runbook: await loadRunbook('regular'),
    config: stack.config,
    service: 'edm-web',
    version: '1.0.0',
  });
});

afterAll(async () => {
  await owner?.end();
  await stack?.stop();
});

const { api, requestRelease, waitForStatus, getRelease, servedVersion } = releaseApi(() => stack);
const ORDERS = ['rollback', 'abort', 'decision'] as const;
const bodyFor = (order: (typeof ORDERS)[number]) =>
  order === 'decision' ? { decision: 'retry', reason: 'flaky probe' } : { reason: 'errors after the switch' };

/** Seeded releases belong to a service of their own: the real release of edm-web never meets them. */
const SEEDED_SERVICE = 'billing';
let seeded = 0;

interface Seed {
  status?: string;
  workflowType?: string;
  createdMinutesAgo?: number;
  finished?: boolean;
  rollbackOpenUntil?: Date | null;
  withoutRollbackPolicy?: boolean;
}

/** A record as a workflow would have left it, without a workflow: the API must answer from it alone. */
async function seed(fields: Seed = {}): Promise<string> {
  seeded += 1;
  const id = `${SEEDED_SERVICE}-regular-1.0.${seeded}-seed${seeded}`;
  const { rollback: _policy, ...withoutPolicy } = plan;
  await owner.query(
    `INSERT INTO releases (id, workflow_type, type, service, version, requested_by, status, runbook, environments,
       current_environment, holds_lock, claimed_at, created_at, finished_at, rollback_open_until)
     VALUES ($1, $2, 'regular', $3, $4, 'ops-wang', $5, $6, '{test,staging,production}', 'production', false,
       now(), now() - make_interval(mins => $7), CASE WHEN $8 THEN now() END, $9)`,
    [
      id,
      fields.workflowType ?? 'releaseWorkflowV2',
      SEEDED_SERVICE,
      `1.0.${seeded}`,
      fields.status ?? 'running',
      JSON.stringify(fields.withoutRollbackPolicy ? withoutPolicy : plan),
      fields.createdMinutesAgo ?? 60,
      fields.finished ?? false,
      fields.rollbackOpenUntil ?? null,
    ],
  );
  return id;
}

const inAnHour = () => new Date(Date.now() + 3_600_000);
const errorOf = (body: Record<string, unknown>) => body.error as { code: string; message: string };

async function auditOf(target: string, action: string) {
  const { rows } = await owner.query(
    'SELECT actor, action, target, environment, outcome, status, reason FROM audit_events WHERE target = $1 AND action = $2 ORDER BY id',
    [target, action],
  );
  return rows;
}

describe('what the API refuses before asking a workflow', () => {
  it('refuses a bad body with 400, naming the field', async () => {
    const id = await seed();
    const cases: [string, unknown, string][] = [
      ['rollback', {}, 'reason'],
      ['rollback', { reason: '' }, 'reason'],
      ['abort', { reason: '   ' }, 'reason'],
      ['abort', { reason: 'x'.repeat(501) }, 'reason'],
      ['rollback', { reason: 'ok', force: true }, 'force'],
      ['decision', { decision: 'approve', reason: 'ok' }, 'decision'],
      ['decision', { reason: 'ok' }, 'decision'],
      ['decision', { decision: 'skip' }, 'reason'],
    ];
    for (const [order, body, field] of cases) {
      const answer = await api('POST', `/releases/${id}/${order}`, 'ops-wang', body);
      expect(answer.status, `${order} ${JSON.stringify(body)}`).toBe(400);
      const issues = (answer.body.error as { issues?: { path: string }[] }).issues ?? [];
      expect(
        issues.map((issue) => issue.path),
        `${order} ${JSON.stringify(body)}`,
      ).toContain(field);
    }
  });

  it('answers 401 without a token, 403 without deploy, 404 for what the caller cannot read', async () => {
    const id = await seed();
    for (const order of ORDERS) {
      const anonymous = await fetch(`${stack.runway.apiUrl}/api/v1/releases/${id}/${order}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(bodyFor(order)),
      });
      expect(anonymous.status, order).toBe(401);
      // pm-li reads every environment but holds deploy in none.
      const readOnly = await api('POST', `/releases/${id}/${order}`, 'pm-li', bodyFor(order));
      expect(readOnly.status, order).toBe(403);
      // dev-chen holds deploy in development only, which this release never touches.
      const elsewhere = await api('POST', `/releases/${id}/${order}`, 'dev-chen', bodyFor(order));
      expect(elsewhere.status, order).toBe(403);
      expect(errorOf(elsewhere.body).message).toMatch(/deploy in none of the environments/);
      const unknown = await api(
        'POST',
        `/releases/billing-regular-9.9.9-nothere/${order}`,
        'ops-wang',
        bodyFor(order),
      );
      expect(unknown.status, order).toBe(404);
    }
  });

  it('answers 404 to someone with deploy who cannot read any environment the release touches', async () => {
    const id = await seed();
    await owner.query("UPDATE releases SET environments = '{staging,production}' WHERE id = $1", [id]);
    for (const order of ORDERS) {
      const hidden = await api('POST', `/releases/${id}/${order}`, 'qa-sun', bodyFor(order));
      expect(hidden.status, order).toBe(404);
      expect(errorOf(hidden.body).message).toBe(`no release ${id}`);
    }
  });

  it('answers 409 for an ended release and for one started before rollback existed', async () => {
    const ended = await seed({ status: 'failed', finished: true });
    const v1 = await seed({ workflowType: 'releaseWorkflow' });
    const noPolicy = await seed({ withoutRollbackPolicy: true });
    for (const order of ORDERS) {
      const answer = await api('POST', `/releases/${ended}/${order}`, 'ops-wang', bodyFor(order));
      expect(answer.status, order).toBe(409);
      expect(errorOf(answer.body).message).toBe(`release ${ended} has ended (failed)`);
      for (const id of [v1, noPolicy]) {
        const early = await api('POST', `/releases/${id}/${order}`, 'ops-wang', bodyFor(order));
        expect(early.status, order).toBe(409);
        expect(errorOf(early.body).message).toMatch(/started before rollback existed/);
      }
    }
  });

  it('refuses to roll back a succeeded release once its window closed or a newer release started', async () => {
    const closed = await seed({ status: 'succeeded', rollbackOpenUntil: new Date(Date.now() - 60_000) });
    const none = await seed({ status: 'succeeded', rollbackOpenUntil: null });
    const superseded = await seed({
      status: 'succeeded',
      createdMinutesAgo: 30,
      rollbackOpenUntil: inAnHour(),
    });
    const newer = await seed({ status: 'failed', finished: true, createdMinutesAgo: 20 });
    const closedAnswer = await api('POST', `/releases/${closed}/rollback`, 'ops-wang', bodyFor('rollback'));
    expect(closedAnswer.status).toBe(409);
    expect(errorOf(closedAnswer.body).message).toMatch(/its rollback window closed at/);
    const noneAnswer = await api('POST', `/releases/${none}/rollback`, 'ops-wang', bodyFor('rollback'));
    expect(noneAnswer.status).toBe(409);
    expect(errorOf(noneAnswer.body).message).toMatch(/allows no rollback after success/);
    const supersededAnswer = await api(
      'POST',
      `/releases/${superseded}/rollback`,
      'ops-wang',
      bodyFor('rollback'),
    );
    expect(supersededAnswer.status).toBe(409);
    expect(errorOf(supersededAnswer.body).message).toBe(
      `release ${superseded} can no longer be rolled back: release ${newer} of ${SEEDED_SERVICE} started after this one`,
    );
    // Nothing to abort once it succeeded; nothing to decide while no failure waits.
    const abort = await api('POST', `/releases/${superseded}/abort`, 'ops-wang', bodyFor('abort'));
    expect(abort.status).toBe(409);
    expect(errorOf(abort.body).message).toMatch(/order a rollback to undo it/);
    const decision = await api('POST', `/releases/${superseded}/decision`, 'ops-wang', bodyFor('decision'));
    expect(decision.status).toBe(409);
    expect(errorOf(decision.body).message).toBe(
      `release ${superseded} is not waiting for a decision (status succeeded)`,
    );
  });

  it('records allowed and refused orders in the audit trail, against the release, in its environment', async () => {
    const id = await seed({ status: 'failed', finished: true });
    await api('POST', `/releases/${id}/rollback`, 'ops-wang', bodyFor('rollback'));
    await api('POST', `/releases/${id}/decision`, 'pm-li', bodyFor('decision'));
    expect(await auditOf(id, 'release.rollback')).toEqual([
      {
        actor: 'ops-wang',
        action: 'release.rollback',
        target: id,
        environment: 'production',
        outcome: 'refused',
        status: 409,
        reason: `conflict: release ${id} has ended (failed)`,
      },
    ]);
    expect(await auditOf(id, 'release.decision')).toMatchObject([
      { actor: 'pm-li', outcome: 'refused', status: 403, environment: 'production' },
    ]);
  });
});

describe('the route table', () => {
  it('requires deploy for every order, then deploy in one of the release environments', async () => {
    const { app } = await createTestApp();
    const table = routeTable(app);
    for (const order of ORDERS) {
      expect(
        table.find((route) => route.method === 'POST' && route.path === `/api/v1/releases/{id}/${order}`),
        order,
      ).toMatchObject({
        role: 'deploy',
        furtherCheck: expect.stringMatching(/deploy in one of the release's environments/),
      });
    }
  });
});

describe('an order through a real workflow', () => {
  it('aborts a release waiting at its change approval: 202, then it ends cancelled', async () => {
    const started = await requestRelease('1.1.0');
    expect(started.status).toBe(201);
    const id = ReleaseSchema.parse(started.body).id;
    const waiting = await waitForStatus(id, ['awaiting-approval', 'failed']);
    expect(waiting.status).toBe('awaiting-approval');
    expect(waiting.rollbackPlan.length).toBeGreaterThan(0);
    expect(waiting.rollbackPlan.every((entry) => entry.startedAt === null)).toBe(true);

    const notFailing = await api('POST', `/releases/${id}/decision`, 'ops-wang', bodyFor('decision'));
    expect(notFailing.status).toBe(409);
    const refused = await api('POST', `/releases/${id}/abort`, 'dev-chen', bodyFor('abort'));
    expect(refused.status).toBe(403);

    // Approvals go through the same signing and asking as orders: one seat filled, then the abort.
    const approval = await api('POST', `/releases/${id}/approvals`, 'pm-li', { decision: 'approve' });
    expect(approval).toMatchObject({ status: 202, body: { counted: true, missing: ['tech-lead'] } });
    const abort = await api('POST', `/releases/${id}/abort`, 'ops-wang', { reason: 'wrong build' });
    expect(abort).toMatchObject({ status: 202, body: { accepted: true, decision: 'abort', missing: [] } });
    const ended = await waitForStatus(id, ['cancelled', 'failed', 'rolled-back'], 60_000);
    expect(ended.status).toBe('cancelled');
    expect(ended.decisions.at(-1)).toMatchObject({
      gateId: 'release',
      actor: 'ops-wang',
      decision: 'abort',
      comment: 'wrong build',
      outcome: 'counted',
    });
    expect((await getRelease(id)).finishedAt).not.toBeNull();
    expect(await auditOf(id, 'release.abort')).toMatchObject([
      { actor: 'dev-chen', outcome: 'refused', status: 403 },
      { actor: 'ops-wang', outcome: 'allowed', status: 202 },
    ]);
    const again = await api('POST', `/releases/${id}/abort`, 'ops-wang', bodyFor('abort'));
    expect(again.status).toBe(409);
  });

  it('rolls back a running release at once and shows what ran, in order, and how long it took', async () => {
    const started = await requestRelease('1.2.0');
    expect(started.status).toBe(201);
    const id = ReleaseSchema.parse(started.body).id;
    // As soon as TEST runs the new version: the rollback then has little to undo, which keeps this short.
    await expect
      .poll(async () => (await getRelease(id)).rollbackPlan.some((entry) => entry.stepId === 'deploy-test'), {
        timeout: 30_000,
        interval: 100,
      })
      .toBe(true);

    const order = await api('POST', `/releases/${id}/rollback`, 'ops-wang', { reason: 'bad migration' });
    expect(order).toMatchObject({ status: 202, body: { accepted: true, decision: 'rollback', missing: [] } });
    expect(String(order.body.message)).toMatch(/newest change first/);
    const ended = await waitForStatus(id, ['rolled-back', 'failed', 'cancelled'], 60_000);
    expect(ended.status).toBe('rolled-back');
    expect(ended.rollback).toMatchObject({ cause: 'manual', orderedBy: ['ops-wang'] });
    expect(ended.rollback?.reason).toContain('bad migration');
    expect(ended.rollback?.durationMs).toBeGreaterThanOrEqual(0);
    expect(ended.rollback?.verification.length).toBeGreaterThan(0);
    const planned = ended.rollbackPlan.map((entry) => entry.id);
    expect(planned).toContain('deploy-test.switch-back');
    // Every compensation ran, newest first, each with its timing.
    const starts = ended.rollbackPlan.map((entry) => Date.parse(entry.startedAt ?? ''));
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    for (const entry of ended.rollbackPlan) {
      expect(entry.status, entry.id).toBe('done');
      expect(entry.durationMs, entry.id).toBeGreaterThanOrEqual(0);
    }
    expect(await servedVersion('test')).not.toBe('1.2.0');
  });
});
