import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WindowCalendar } from '../../activities/calendar-activities.js';
import { projectRoot } from '../../stack/temporal-binaries.js';
import { type ReleaseJson, releaseApi } from '../support/release-api.js';
import { releaseWorkflowBundle } from '../support/release-workflow-bundle.js';
import { startTestStack, type TestStack } from '../support/runway-stack.js';

/** Every environment frozen: a release obeying freezes waits until someone overrides. */
const FROZEN_CALENDAR: WindowCalendar = {
  check: async ({ policy, at }) =>
    policy.freezes
      ? {
          kind: 'wait',
          until: new Date(Date.parse(at) + 86_400_000).toISOString(),
          reason: 'freeze: annual audit',
        }
      : { kind: 'open', windowEnd: null },
};

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack(await releaseWorkflowBundle(), {
    windowCalendar: FROZEN_CALENDAR,
    // An emergency’s gates expire after 20 s here (30 min by default), so one can be seen expiring.
    configure: (config) => {
      config.settings.releases.gateLifetimeMinutes.emergency = 20 / 60;
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const { api, getRelease, waitForStatus, servedVersion, recordHistoryForReplay } = releaseApi(() => stack);

/** Done: succeeded, or done with production and owing its documents (R-POSTHOC). */
const DONE = ['succeeded', 'awaiting-docs'];
const ENDED = [...DONE, 'failed', 'rejected', 'cancelled', 'rolled-back', 'expired', 'superseded'];

async function waitForGate(id: string, gateId: string): Promise<ReleaseJson> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const release = await getRelease(id);
    if (release.pendingGate?.gateId === gateId) return release;
    if (ENDED.includes(release.status))
      throw new Error(`release ${id} ended ${release.status} before ${gateId}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`release ${id} never waited at ${gateId}`);
}

const approve = (id: string, as: string) =>
  api('POST', `/releases/${id}/approvals`, as, { decision: 'approve' });
const confirm = (id: string, as: string, stepId: string, note: string) =>
  api('POST', `/releases/${id}/confirmations`, as, { stepId, note });

async function start(body: Record<string, unknown>): Promise<string> {
  const started = await api('POST', '/releases', 'ops-wang', { service: 'edm-web', ...body });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return started.body.id as string;
}

async function servedConfig(environment: string): Promise<{ revision: string | null; healthy: boolean }> {
  const response = await fetch(`${stack.serviceUrls[environment]}/config`);
  return (await response.json()) as { revision: string | null; healthy: boolean };
}

const stepIds = (release: ReleaseJson) => release.steps.map((step) => step.id);

describe('a hotfix', () => {
  it('skips STAGING, needs one tech-lead approval and the tech lead to let it through a freeze', async () => {
    const id = await start({ type: 'hotfix', version: '1.0.1', changeRef: 'INC-7' });
    await waitForGate(id, 'fix-reviewed');
    expect(await servedVersion('test')).toBe('1.0.1');
    expect((await confirm(id, 'tl-zhang', 'fix-reviewed', 'diff read: one null check')).status).toBe(202);

    const gate = await waitForGate(id, 'hotfix-approval');
    expect(gate.pendingGate?.missing).toEqual(['tech-lead']);
    expect((await approve(id, 'pm-li')).status).toBe(403);
    expect((await approve(id, 'tl-zhang')).status).toBe(202);

    const frozen = await waitForStatus(id, ['waiting-window', ...ENDED], 30_000);
    expect(frozen.status).toBe('waiting-window');
    expect(frozen.waitingWindow?.reason).toContain('annual audit');
    expect(await servedVersion('production')).toBe('1.0.0');
    // Two admins no longer sit here: the hotfix runbook gives the override to its approver.
    expect(
      (await api('POST', `/releases/${id}/window-override`, 'admin-zhao', { reason: 'urgent' })).status,
    ).toBe(403);
    const override = await api('POST', `/releases/${id}/window-override`, 'tl-zhang', {
      reason: 'customers cannot log in; the fix cannot wait for the audit',
    });
    expect(override.status).toBe(202);

    const done = await waitForStatus(id, [...DONE, 'failed', 'rolled-back']);
    expect(DONE).toContain(done.status);
    expect(stepIds(done).some((step) => step.includes('staging'))).toBe(false);
    expect(done.environments).toEqual(['test', 'production']);
    expect(await servedVersion('staging')).toBe('1.0.0');
    expect(await servedVersion('production')).toBe('1.0.1');

    const production = await api('GET', '/services/edm-web/environments/production', 'dev-chen');
    expect(production.body).toMatchObject({ version: '1.0.1', release: { id, type: 'hotfix' } });
  });
});

describe('an emergency release', () => {
  it('goes straight to production on the on-call lead approval, ignoring the freeze', async () => {
    const id = await start({ type: 'emergency', version: '1.0.2' });
    const gate = await waitForGate(id, 'emergency-approval');
    expect(gate.pendingGate?.missing).toEqual(['on-call-lead']);
    expect((await approve(id, 'tl-zhang')).status).toBe(403);
    expect((await approve(id, 'oncall-zhou')).status).toBe(202);

    await waitForGate(id, 'service-restored');
    expect(await servedVersion('production')).toBe('1.0.2');
    expect((await confirm(id, 'oncall-zhou', 'service-restored', 'login works again')).status).toBe(202);

    const done = await waitForStatus(id, [...DONE, 'failed', 'rolled-back']);
    expect(DONE).toContain(done.status);
    expect(done.environments).toEqual(['production']);
    expect(done.steps.some((step) => step.kind === 'window')).toBe(false);
    expect(await servedVersion('test')).toBe('1.0.1');
  });
});

describe('an emergency whose "service restored" is never confirmed (R-EXPIRE)', () => {
  /** An emergency of `version` through PROD, waiting at its "service restored" confirmation. */
  async function restoredButUnconfirmed(version: string): Promise<string> {
    const id = await start({ type: 'emergency', version });
    await waitForGate(id, 'emergency-approval');
    expect((await approve(id, 'oncall-zhou')).status).toBe(202);
    await waitForGate(id, 'service-restored');
    expect(await servedVersion('production')).toBe(version);
    return id;
  }

  it('keeps its fix in production when a newer release supersedes it: the confirmation is marked missing', async () => {
    const id = await restoredButUnconfirmed('1.0.3');
    const newer = await start({ type: 'hotfix', version: '1.0.4' });
    const superseded = await waitForStatus(id, ['superseded', 'failed', 'rolled-back'], 30_000);
    expect(superseded).toMatchObject({ status: 'superseded', supersededBy: newer });
    expect(await servedVersion('production')).toBe('1.0.3');
    expect(superseded.steps.find((step) => step.id === 'service-restored')).toMatchObject({
      status: 'failed',
      detail: { missing: true },
    });
    expect(superseded.rollbackPlan.every((entry) => entry.status === 'pending')).toBe(true);
    // The alert is raised by an activity after the record says superseded: it may come a moment later.
    await expect
      .poll(async () => (await getRelease(id)).alerts, { timeout: 15_000, interval: 250 })
      .toContainEqual(
        expect.objectContaining({ kind: 'superseded', level: 'P1', environment: 'production' }),
      );
    // The newer hotfix ends at its first gate; production still serves the emergency's fix.
    await waitForGate(newer, 'fix-reviewed');
    expect((await api('POST', `/releases/${newer}/abort`, 'ops-wang', { reason: 'not needed' })).status).toBe(
      202,
    );
    await waitForStatus(newer, ENDED);
    expect(await servedVersion('production')).toBe('1.0.3');
    await recordHistoryForReplay(id, 'v2-rules-emergency-superseded-keeps-fix');
  });

  it('keeps its fix in production when the confirmation expires', async () => {
    const id = await restoredButUnconfirmed('1.0.5');
    const expired = await waitForStatus(id, ['expired', 'failed', 'rolled-back'], 90_000);
    expect(expired.status).toBe('expired');
    expect(expired.failure?.reason).toMatch(/production keeps what the release did there/);
    expect(await servedVersion('production')).toBe('1.0.5');
    expect(expired.steps.find((step) => step.id === 'service-restored')).toMatchObject({
      status: 'failed',
      detail: { missing: true },
    });
  });
});

describe('a config-change', () => {
  it('is reviewed by tech lead, ops lead and security when sensitive, and reaches TEST then production', async () => {
    const versionBefore = await servedVersion('production');
    // A newer change of the service supersedes one still waiting for its review (R-EXPIRE).
    const older = await start({
      type: 'config-change',
      configRevision: 'send-rate-1200',
      reason: 'holiday campaigns',
      impact: 'twice the sending rate',
      rollbackPlan: 'the previous revision is put back in force',
    });
    await waitForGate(older, 'config-review');
    const id = await start({
      type: 'config-change',
      configRevision: 'smtp-relay-b',
      reason: 'relay A is being retired',
      impact: 'outgoing mail leaves through relay B',
      rollbackPlan: 'the previous revision is put back in force',
    });
    expect(id).toMatch(/^edm-web-config-change-smtp-relay-b-/);
    expect((await getRelease(id)).configChange).toMatchObject({
      configRevision: 'smtp-relay-b',
      reason: 'relay A is being retired',
      sensitive: true,
    });
    expect(await waitForStatus(older, ['superseded'], 20_000)).toMatchObject({ supersededBy: id });
    const gate = await waitForGate(id, 'config-review');
    expect(gate.pendingGate?.missing).toEqual(['tech-lead', 'ops-lead', 'security']);
    for (const reviewer of ['tl-zhang', 'opslead-he', 'sec-wu']) {
      expect((await approve(id, reviewer)).status, reviewer).toBe(202);
    }
    const done = await waitForStatus(id, [...DONE, 'failed', 'rolled-back']);
    expect(done.status).toBe('succeeded');
    expect(stepIds(done)).toEqual([
      'config-review',
      'apply-config-test',
      'verify-test',
      'apply-config-production',
      'verify-production',
    ]);
    expect(await servedConfig('test')).toMatchObject({ revision: 'smtp-relay-b', healthy: true });
    expect(await servedConfig('production')).toMatchObject({ revision: 'smtp-relay-b', healthy: true });
    // The version is untouched.
    expect(await servedVersion('production')).toBe(versionBefore);
  });

  it('puts the previous revision back in production when the new one fails there', async () => {
    const id = await start({
      type: 'config-change',
      configRevision: 'broken-production-store',
      reason: 'move campaigns to the replica store',
      impact: 'campaign reads go to the replica',
      rollbackPlan: 'put smtp-relay-b back',
    });
    const gate = await waitForGate(id, 'config-review');
    expect(gate.pendingGate?.missing).toEqual(['tech-lead', 'ops-lead']);
    expect((await approve(id, 'sec-wu')).status).toBe(403);
    for (const reviewer of ['tl-zhang', 'opslead-he']) expect((await approve(id, reviewer)).status).toBe(202);

    const failed = await waitForStatus(id, ENDED);
    expect(failed.status).toBe('failed');
    expect(failed.failure?.step).toBe('apply-config-production');
    expect(failed.rollbackPlan).toContainEqual(
      expect.objectContaining({
        environment: 'production',
        action: { kind: 'restore-config', revision: 'smtp-relay-b', from: 'broken-production-store' },
        status: 'done',
      }),
    );
    // Production serves the previous configuration again; TEST, where the bundle works, keeps it.
    expect(await servedConfig('production')).toMatchObject({ revision: 'smtp-relay-b', healthy: true });
    expect(await servedConfig('test')).toMatchObject({ revision: 'broken-production-store', healthy: true });

    // Compare-and-swap: the driver refuses (exit 3) to replace a revision that is not the one expected.
    const agent = stack.config.environments.production?.services['edm-web']?.vars.agent as string;
    const refused = await execa(
      'node',
      [
        '--import',
        'tsx',
        'demo/bin/edm-ctl.ts',
        'config-apply',
        '--agent',
        agent,
        '--env',
        'production',
      ].concat(['--revision', 'baseline', '--expect-revision', 'send-rate-1200']),
      { cwd: projectRoot, reject: false },
    );
    expect(refused.exitCode).toBe(3);
    expect(await servedConfig('production')).toMatchObject({ revision: 'smtp-relay-b' });
  });
});
