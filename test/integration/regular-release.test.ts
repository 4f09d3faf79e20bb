import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReleaseListSchema, ReleaseSchema } from '../../api/release-schemas.js';
import { environmentKey, environmentsKey, serviceKey, statusKey } from '../../workflows/search-attributes.js';
import { WAITING_AT_CHANGE_APPROVAL } from '../support/regular-runbook-steps.js';
import { releaseApi } from '../support/release-api.js';
import { releaseWorkflowBundle } from '../support/release-workflow-bundle.js';
import { startTestStack, type TestStack } from '../support/runway-stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack(await releaseWorkflowBundle());
});

afterAll(async () => {
  await stack?.stop();
});

const { api, requestRelease, getRelease, waitForStatus, servedVersion, recordHistoryForReplay } = releaseApi(
  () => stack,
);

describe('a regular release through the API', () => {
  it('reaches production after a PM and a tech lead approve, and production serves the new version', async () => {
    const started = await requestRelease('1.1.0', { changeRef: 'CHG-42' });
    expect(started.status).toBe(201);
    const id = ReleaseSchema.parse(started.body).id;
    expect(id).toMatch(/^edm-web-regular-1\.1\.0-/);

    const second = await requestRelease('1.1.1');
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ error: { code: 'conflict', activeReleaseId: id } });

    const waiting = await waitForStatus(id, ['awaiting-approval', 'failed']);
    expect(waiting.status).toBe('awaiting-approval');
    expect(waiting.pendingGate).toMatchObject({
      gateId: 'change-approval',
      missing: ['pm', 'tech-lead'],
      approvals: [],
    });
    expect(waiting.steps.map((step) => [step.id, step.status])).toEqual(WAITING_AT_CHANGE_APPROVAL);
    expect(await servedVersion('test')).toBe('1.1.0');
    expect(await servedVersion('staging')).toBe('1.1.0');
    expect(await servedVersion('production')).toBe('1.0.0');

    expect((await api('POST', `/releases/${id}/approvals`, 'ops-wang', { decision: 'approve' })).status).toBe(
      403,
    );
    expect((await api('POST', `/releases/${id}/approvals`, 'dev-chen', { decision: 'approve' })).status).toBe(
      403,
    );
    const first = await api('POST', `/releases/${id}/approvals`, 'pm-li', {
      decision: 'approve',
      comment: 'scope agreed',
    });
    expect(first).toMatchObject({ status: 202, body: { counted: true, missing: ['tech-lead'] } });
    await expect
      .poll(async () => (await getRelease(id)).pendingGate?.approvals.length, { timeout: 10_000 })
      .toBe(1);
    expect((await api('POST', `/releases/${id}/approvals`, 'pm-li', { decision: 'approve' })).status).toBe(
      409,
    );
    expect(await servedVersion('production')).toBe('1.0.0');

    // Nothing is lost when the worker, the API and the Temporal server all go down at the gate.
    await stack.restartRunwayAndTemporal();
    const afterRestart = await getRelease(id);
    expect(afterRestart.status).toBe('awaiting-approval');
    expect(afterRestart.pendingGate?.approvals.map((approval) => approval.approver)).toEqual(['pm-li']);

    const last = await api('POST', `/releases/${id}/approvals`, 'tl-zhang', { decision: 'approve' });
    expect(last).toMatchObject({ status: 202, body: { counted: true, missing: [] } });

    const done = await waitForStatus(id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(await servedVersion('production')).toBe('1.1.0');
    expect(done.approvals.map((approval) => approval.approver).sort()).toEqual(['pm-li', 'tl-zhang']);
    expect(done.decisions.map((decision) => [decision.actor, decision.outcome, decision.refusal])).toEqual([
      ['ops-wang', 'refused', 'requester'],
      ['dev-chen', 'refused', 'not-eligible'],
      ['pm-li', 'counted', null],
      ['pm-li', 'refused', 'already-decided'],
      ['tl-zhang', 'counted', null],
    ]);
    for (const step of done.steps) {
      expect(step.status).toBe('succeeded');
      expect(Date.parse(step.finishedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(step.startedAt));
    }
    expect(done.temporalUrl).toContain(encodeURIComponent(id));

    // The record says `succeeded` first; the execution closes once its last search attributes and
    // alerts are out.
    const handle = stack.runway.client.workflow.getHandle(id);
    await handle.result();
    const description = await handle.describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(description.typedSearchAttributes.get(serviceKey)).toBe('edm-web');
    expect(description.typedSearchAttributes.get(statusKey)).toBe('succeeded');
    const history = await handle.fetchHistory();
    await recordHistoryForReplay(id, 'v2-regular-release-approved');
    const updates =
      history.events?.filter((event) => event.workflowExecutionUpdateCompletedEventAttributes) ?? [];
    // Every decision reached the workflow as an update, and it answered each: the requester and
    // dev-chen (403), pm-li (202), pm-li again (409), tl-zhang (202).
    expect(updates).toHaveLength(5);
    // The timeline reads like the runbook: bookkeeping is one marker per transition.
    const events = history.events?.length ?? 0;
    const markers = history.events?.filter((event) => event.markerRecordedEventAttributes).length ?? 0;
    console.log(
      `history of an ${done.plan.steps.length}-step release: ${events} events, ${markers} record and verification markers`,
    );
    // The start's check (its patch marker and the authority's verification), the release rules' patch
    // marker, one record write per transition (claim, each step's start, the gate, the end), per
    // decision one signature check and one record write, and one per escalation notice (L1 at the gate).
    const notices = done.escalations?.length ?? 0;
    expect(notices).toBe(1);
    expect(markers).toBeLessThanOrEqual(3 + done.plan.steps.length + 3 + 2 * updates.length + notices);
    expect(description.typedSearchAttributes.get(environmentKey)).toBe('production');
    expect(description.typedSearchAttributes.get(environmentsKey)).toEqual(['test', 'staging', 'production']);

    const listed = await api('GET', '/releases?service=edm-web&status=succeeded', 'dev-chen');
    expect(ReleaseListSchema.parse(listed.body).releases.map((release) => release.id)).toContain(id);
  });

  it('ends rejected with production untouched; one person decides once', async () => {
    const started = await requestRelease('1.3.0');
    const id = ReleaseSchema.parse(started.body).id;
    await waitForStatus(id, ['awaiting-approval']);
    expect((await api('POST', `/releases/${id}/approvals`, 'pm-li', { decision: 'approve' })).status).toBe(
      202,
    );
    await expect
      .poll(async () => (await getRelease(id)).pendingGate?.approvals.length, { timeout: 10_000 })
      .toBe(1);
    const changedMind = await api('POST', `/releases/${id}/approvals`, 'pm-li', { decision: 'reject' });
    expect(changedMind).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
    const rejection = await api('POST', `/releases/${id}/approvals`, 'tl-zhang', {
      decision: 'reject',
      comment: 'legal hold',
    });
    expect(rejection).toMatchObject({ status: 202, body: { counted: true } });
    const rejected = await waitForStatus(id, ['rejected', 'succeeded', 'failed']);
    expect(rejected.status).toBe('rejected');
    expect(rejected.failure?.reason).toBe('rejected by tl-zhang: legal hold');
    expect(rejected.approvals.map((approval) => [approval.approver, approval.decision])).toEqual([
      ['pm-li', 'approve'],
      ['tl-zhang', 'reject'],
    ]);
    expect(rejected.decisions.map((decision) => [decision.actor, decision.outcome])).toEqual([
      ['pm-li', 'counted'],
      ['pm-li', 'refused'],
      ['tl-zhang', 'counted'],
    ]);
    expect(await servedVersion('production')).toBe('1.1.0');
    expect(await servedVersion('staging')).toBe('1.3.0');
    await recordHistoryForReplay(id, 'v2-regular-release-rejected');
  });

  it('carries on after the worker, the API and the Temporal server restart in the middle of a deploy', async () => {
    const started = await requestRelease('1.4.0');
    const id = ReleaseSchema.parse(started.body).id;
    await expect
      .poll(async () => (await getRelease(id)).currentStep, { timeout: 60_000, interval: 100 })
      .toBe('deploy-staging');
    await stack.restartRunwayAndTemporal();
    const waiting = await waitForStatus(id, ['awaiting-approval', 'failed']);
    expect(waiting.status).toBe('awaiting-approval');
    // Every step before the approval gate, each once.
    const beforeGate = waiting.plan.steps.findIndex((step) => step.id === 'change-approval');
    expect(waiting.steps.filter((step) => step.status !== 'running').map((step) => step.status)).toEqual(
      waiting.plan.steps.slice(0, beforeGate).map(() => 'succeeded'),
    );
    expect(await servedVersion('staging')).toBe('1.4.0');
    expect((await api('POST', `/releases/${id}/approvals`, 'tl-zhang', { decision: 'reject' })).status).toBe(
      202,
    );
    expect((await waitForStatus(id, ['rejected'])).status).toBe('rejected');
  });

  it('never lets a failing version take traffic: the idle colour fails its check on TEST', async () => {
    const before = { test: await servedVersion('test'), staging: await servedVersion('staging') };
    const started = await requestRelease('1.2.0+failing');
    expect(started.status).toBe(201);
    const id = ReleaseSchema.parse(started.body).id;
    const failed = await waitForStatus(id, ['failed', 'succeeded', 'awaiting-approval'], 120_000);
    expect(failed.status).toBe('failed');
    expect(failed.failure?.step).toBe('deploy-test');
    expect(failed.failure?.reason).toMatch(/failed its checks/);
    // TEST's database was migrated before the deploy: the failure migrates it back down.
    expect(failed.steps.map((step) => [step.id, step.status])).toEqual([
      ['dependencies-production', 'succeeded'],
      ['rollback-plan-production', 'succeeded'],
      ['migrations-ready-production', 'succeeded'],
      ['migrate-test', 'succeeded'],
      ['deploy-test', 'failed'],
      ['migrate-test.down', 'compensated'],
    ]);
    expect(await servedVersion('test')).toBe(before.test);
    expect(await servedVersion('staging')).toBe(before.staging);
    // The record says `failed` first; the execution closes once its alerts have gone out.
    const handle = stack.runway.client.workflow.getHandle(id);
    await handle.result().catch(() => undefined);
    const execution = await handle.describe();
    expect(execution.status.name).toBe('FAILED');
    expect(execution.typedSearchAttributes.get(statusKey)).toBe('failed');
    await recordHistoryForReplay(id, 'v2-regular-release-failed-check');
  });

  it('does not let a release terminated outside Runway block its service', async () => {
    const started = await requestRelease('1.5.0');
    const id = ReleaseSchema.parse(started.body).id;
    await waitForStatus(id, ['awaiting-approval']);
    await stack.runway.client.workflow.getHandle(id).terminate('terminated by hand');

    const approval = await api('POST', `/releases/${id}/approvals`, 'pm-li', { decision: 'approve' });
    expect(approval).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });

    const next = await requestRelease('1.5.1');
    expect(next.status).toBe(201);
    const closed = await getRelease(id);
    expect(closed).toMatchObject({
      status: 'abandoned',
      failure: { reason: 'its workflow was terminated outside Runway' },
    });
    await recordHistoryForReplay(id, 'v2-regular-release-abandoned');
    await waitForStatus(ReleaseSchema.parse(next.body).id, ['awaiting-approval']);
  });
});
