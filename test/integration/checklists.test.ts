// R-CHECKLIST end to end on the real stack. Every automated item the regular runbook added really
// checks something: a fault in the build (or in the environment) makes exactly that step fail, the
// release stops there and nothing after it runs. Manual items are confirmed through the API by
// someone holding the item's role, judged by the workflow like approvals; a forged confirmation
// sent to Temporal as a bare signal is refused and recorded. The release view lists the checklist.
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalSignal } from '../../workflows/release-messages.js';
import { releaseApi } from '../support/release-api.js';
import { releaseWorkflowBundle } from '../support/release-workflow-bundle.js';
import { startTestStack, type TestStack } from '../support/runway-stack.js';
import { claimFor, foreignDecisionKeys, signedBy, testDecisionKeys } from '../support/signed-decisions.js';

// Two manual items: one an operator (the requester may: deploy is an access role) confirms on TEST,
// one a tech lead confirms for production. A hotfix, so the shipped regular runbook runs beside it.
const CONFIRM_RUNBOOK = `type: hotfix
description: Manual checklist items only, for the confirmation tests.
steps:
  - id: smoke-by-hand
    name: "Checklist: smoke test by hand on TEST"
    kind: confirm
    environment: test
    role: deploy
    prompt: Open the campaign list on TEST and send a test mail
    checklist: { phase: pre, item: manual smoke test }
  - id: user-feedback
    name: "Checklist: user feedback collected"
    kind: confirm
    environment: production
    role: tech-lead
    prompt: Feedback from users after the release is collected and nothing alarming came up
    checklist: { phase: post, item: user feedback collected }
`;

let stack: TestStack;
let runbookDir: string;

beforeAll(async () => {
  runbookDir = await mkdtemp(join(tmpdir(), 'runway-checklist-runbooks-'));
  await copyFile(
    fileURLToPath(new URL('../../runbooks/regular.yml', import.meta.url)),
    join(runbookDir, 'regular.yml'),
  );
  await writeFile(join(runbookDir, 'hotfix.yml'), CONFIRM_RUNBOOK);
  stack = await startTestStack(await releaseWorkflowBundle(), { runbookDir });
});

afterAll(async () => {
  await stack?.stop();
  if (runbookDir) await rm(runbookDir, { recursive: true, force: true });
});

const { api, requestRelease, getRelease, waitForStatus } = releaseApi(() => stack);

const ENDED = ['succeeded', 'failed', 'rolled-back', 'cancelled', 'rejected', 'awaiting-docs'];

async function inProductionDatabase(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: stack.serviceDatabaseUrls.production });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** An applied migration nobody has a script for: nothing could migrate production's database back. */
async function applyMigrationByHand(): Promise<() => Promise<void>> {
  await inProductionDatabase(
    `CREATE TABLE IF NOT EXISTS pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL);
     INSERT INTO pgmigrations (name, run_on) VALUES ('950-applied-by-hand', now())`,
  );
  return () => inProductionDatabase("DELETE FROM pgmigrations WHERE name = '950-applied-by-hand'");
}

/** The worker reaches production's database at a closed port, as after a move nobody told it of. */
async function unreachableProductionDatabase(): Promise<() => Promise<void>> {
  const variable = 'EDM_WEB_PRODUCTION_DATABASE_URL';
  const saved = process.env[variable] as string;
  const moved = new URL(saved);
  moved.port = '1';
  process.env[variable] = moved.toString();
  return async () => {
    process.env[variable] = saved;
  };
}

interface Fault {
  step: string;
  version: string;
  /** Breaks the environment for this release; returns what mends it. */
  breakEnvironment?: () => Promise<() => Promise<void>>;
  /** What the step's error says. */
  because: RegExp;
}

const FAULTS: Fault[] = [
  {
    step: 'dependencies-production',
    version: '1.3.0',
    breakEnvironment: unreachableProductionDatabase,
    because: /database does not answer/,
  },
  {
    step: 'rollback-plan-production',
    version: '1.3.1',
    breakEnvironment: applyMigrationByHand,
    because: /950-applied-by-hand has no script/,
  },
  {
    step: 'migrations-ready-production',
    version: '1.3.2+migration-missing',
    because: /901-not-written has no script/,
  },
  { step: 'error-logs-test', version: '1.3.3+error-logs', because: /errors in the last minute|status 503/ },
  { step: 'db-connectivity-test', version: '1.3.4+db-unreachable', because: /status 503/ },
  { step: 'key-functions-test', version: '1.3.5+campaigns-broken', because: /status 503/ },
  { step: 'performance-test', version: '1.3.6+slow-queries', because: /status 503/ },
  { step: 'monitoring-test', version: '1.3.7+no-metrics', because: /status 404/ },
];

describe('the automated checklist items of the regular runbook', () => {
  it('each stops the release at its own step when what it checks does not hold', async () => {
    const planned = (await api('POST', '/releases', 'ops-wang', {
      type: 'regular',
      service: 'edm-web',
      version: '1.2.9',
      dryRun: true,
    })) as unknown as { body: { plan: { steps: { id: string; checklist: unknown }[] } } };
    const order = planned.body.plan.steps.map((step) => step.id);
    for (const fault of FAULTS) {
      expect(planned.body.plan.steps.find((step) => step.id === fault.step)?.checklist).not.toBeNull();
      const mend = await fault.breakEnvironment?.();
      let release: Awaited<ReturnType<typeof waitForStatus>>;
      try {
        const started = await requestRelease(fault.version);
        expect(started.status, JSON.stringify(started.body)).toBe(201);
        release = await waitForStatus(started.body.id as string, ENDED, 60_000);
      } finally {
        await mend?.();
      }
      expect([fault.version, release.status, release.failure?.step]).toEqual([
        fault.version,
        'failed',
        fault.step,
      ]);
      const ran = release.steps.filter((step) => order.includes(step.id)).map((step) => step.id);
      expect(ran).toEqual(order.slice(0, order.indexOf(fault.step) + 1));
      const item = release.checklist.find((entry) => entry.stepId === fault.step);
      expect(item).toMatchObject({ kind: 'automated', status: 'failed' });
      expect(item?.error).toMatch(fault.because);
      // Nothing after the failing item ran: it is still pending in the checklist.
      const later = release.checklist.slice(release.checklist.indexOf(item as never) + 1);
      expect(later.every((entry) => entry.status === 'pending')).toBe(true);
    }
    // What passed says what it checked and what it found.
    const last = await getRelease(
      (
        (await api('GET', '/releases?service=edm-web&status=failed', 'dev-chen')).body.releases as {
          id: string;
        }[]
      )[0]?.id as string,
    );
    const dependencies = last.checklist.find((entry) => entry.stepId === 'dependencies-production');
    expect(dependencies).toMatchObject({ phase: 'pre', item: 'dependencies healthy', status: 'succeeded' });
    expect(dependencies?.checks).toContain('edm-checks.mjs dependencies');
    expect(dependencies?.result).toMatchObject({ exitCode: 0 });
  }, 150_000);
});

describe('manual checklist items', () => {
  it('are confirmed through the API by the right role, with a note; forged ones are refused and recorded', async () => {
    const started = await api('POST', '/releases', 'ops-wang', {
      type: 'hotfix',
      service: 'edm-web',
      version: '1.0.1',
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const id = started.body.id as string;
    const waiting = await waitForStatus(id, ['awaiting-approval', ...ENDED], 30_000);
    expect(waiting.pendingGate).toMatchObject({ gateId: 'smoke-by-hand', quorum: ['deploy'] });
    const confirm = (as: string, body: unknown, release = id) =>
      api('POST', `/releases/${release}/confirmations`, as, body);

    expect((await confirm('ops-wang', { stepId: 'smoke-by-hand', note: '' })).status).toBe(400);
    expect((await confirm('ops-wang', { stepId: 'smoke-by-hand' })).status).toBe(400);
    expect(
      (await confirm('ops-wang', { stepId: 'smoke-by-hand', note: 'ok' }, 'edm-web-hotfix-9.9.9-zzzzzz'))
        .status,
    ).toBe(404);
    // Not the item waiting: 409 for someone who holds its role, 403 for someone who does not.
    expect((await confirm('tl-zhang', { stepId: 'user-feedback', note: 'fine' })).status).toBe(409);
    expect((await confirm('dev-chen', { stepId: 'user-feedback', note: 'fine' })).status).toBe(403);
    // dev-chen reads TEST but has no deploy there: refused by the workflow, and recorded.
    expect((await confirm('dev-chen', { stepId: 'smoke-by-hand', note: 'looks fine' })).status).toBe(403);
    // The requester may confirm an item of an access role: it is their own operational check.
    const first = await confirm('ops-wang', {
      stepId: 'smoke-by-hand',
      note: 'campaign list opens, test mail sent',
    });
    expect(first).toMatchObject({
      status: 202,
      body: { counted: true, stepId: 'smoke-by-hand', confirmedBy: 'ops-wang', role: 'deploy' },
    });

    await expect
      .poll(async () => (await getRelease(id)).pendingGate?.gateId, { timeout: 15_000 })
      .toBe('user-feedback');
    // Straight to Temporal, past the API: a claim signed with a key the workers do not know, and a
    // correctly signed approval, which a checklist item does not take.
    const handle = stack.runway.client.workflow.getHandle(id);
    const forged = claimFor(id, 'tl-zhang', ['read', 'tech-lead'], 'approve', {
      gateId: 'user-feedback',
      decision: 'confirm',
      comment: 'forged',
    });
    await handle.signal(approvalSignal, signedBy(foreignDecisionKeys, forged));
    const approval = claimFor(id, 'tl-zhang', ['read', 'tech-lead'], 'approve', { gateId: 'user-feedback' });
    await handle.signal(approvalSignal, signedBy(testDecisionKeys, approval));
    // The requester cannot fill an approver role's item; pm-li holds no tech-lead.
    expect((await confirm('ops-wang', { stepId: 'user-feedback', note: 'all good' })).status).toBe(403);
    expect((await confirm('pm-li', { stepId: 'user-feedback', note: 'all good' })).status).toBe(403);
    expect((await getRelease(id)).status).toBe('awaiting-approval');
    const last = await confirm('tl-zhang', {
      stepId: 'user-feedback',
      note: 'support queue quiet, NPS unchanged',
    });
    expect(last).toMatchObject({ status: 202, body: { confirmedBy: 'tl-zhang', role: 'tech-lead' } });
    expect((await confirm('tl-zhang', { stepId: 'user-feedback', note: 'again' })).status).toBe(409);

    const done = await waitForStatus(id, ENDED, 30_000);
    expect(done.failure).toBeNull();
    expect(
      done.checklist.map((item) => [
        item.stepId,
        item.kind,
        item.status,
        item.role,
        item.confirmedBy,
        item.note,
      ]),
    ).toEqual([
      ['smoke-by-hand', 'manual', 'succeeded', 'deploy', 'ops-wang', 'campaign list opens, test mail sent'],
      ['user-feedback', 'manual', 'succeeded', 'tech-lead', 'tl-zhang', 'support queue quiet, NPS unchanged'],
    ]);
    for (const item of done.checklist) expect(Date.parse(item.confirmedAt ?? '')).not.toBeNaN();
    expect(
      done.decisions.map((decision) => [
        decision.actor,
        decision.decision,
        decision.outcome,
        decision.refusal,
        decision.via,
      ]),
    ).toEqual([
      ['dev-chen', 'confirm', 'refused', 'not-eligible', 'update'],
      ['ops-wang', 'confirm', 'counted', null, 'update'],
      ['tl-zhang', 'confirm', 'refused', 'unverified', 'signal'],
      ['tl-zhang', 'approve', 'refused', 'not-eligible', 'signal'],
      ['ops-wang', 'confirm', 'refused', 'requester', 'update'],
      ['pm-li', 'confirm', 'refused', 'not-eligible', 'update'],
      ['tl-zhang', 'confirm', 'counted', null, 'update'],
    ]);
  }, 90_000);
});
