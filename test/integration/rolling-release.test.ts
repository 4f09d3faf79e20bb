import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReleaseSchema } from '../../api/release-schemas.js';
import { readActionLog } from '../../demo/target/action-log.js';
import type { SenderInstanceStatus } from '../../demo/target/model.js';
import { DEMO_ROLLING_SERVICE } from '../../stack/demo-target-layout.js';
import { releaseApi } from '../support/release-api.js';
import { releaseWorkflowBundle } from '../support/release-workflow-bundle.js';
import { startTestStack, type TestStack } from '../support/runway-stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack(await releaseWorkflowBundle(), {
    withSender: true,
    configure: (config) => {
      for (const name of ['staging', 'production']) {
        const sender = config.environments[name]?.services[DEMO_ROLLING_SERVICE];
        if (sender) sender.vars.instances = '1';
      }
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

const { api, getRelease, waitForStatus } = releaseApi(() => stack);

const requestSenderRelease = async (version: string) => {
  const started = await api('POST', '/releases', 'ops-wang', {
    type: 'regular',
    service: DEMO_ROLLING_SERVICE,
    version,
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return ReleaseSchema.parse(started.body).id;
};

async function instances(environment: string): Promise<SenderInstanceStatus[]> {
  const response = await fetch(`${stack.demo.controlUrl}/environments/${environment}/instances`);
  return (await response.json()) as SenderInstanceStatus[];
}

/** What each instance itself answers on its own port, in instance order. */
async function versionsOnInstances(environment: string): Promise<string[]> {
  return Promise.all(
    (await instances(environment)).map(async ({ port }) => {
      const response = await fetch(`http://127.0.0.1:${port}/version`);
      return ((await response.json()) as { version: string }).version;
    }),
  );
}

describe('a rolling release of edm-sender', () => {
  it('returns the instances of batches 1 and 2 to the previous version, newest first, when batch 2 fails', async () => {
    const id = await requestSenderRelease('1.1.0+failing-on-sender-3');
    const done = await waitForStatus(id, ['failed', 'rolled-back', 'succeeded'], 60_000);
    expect(done.status).toBe('failed');
    expect(done.failure?.step).toBe('deploy-test');
    expect(done.failure?.reason).toMatch(/sender-3/);

    // Each instance was checked again after its restore; each one itself runs the old version.
    expect(await versionsOnInstances('test')).toEqual(['1.0.0', '1.0.0', '1.0.0', '1.0.0']);
    const compensations = done.steps.filter((step) => step.kind === 'compensation');
    expect(compensations.map((step) => [step.id, step.status])).toEqual([
      ['deploy-test.restore-sender-4', 'compensated'],
      ['deploy-test.restore-sender-3', 'compensated'],
      ['deploy-test.restore-sender-2', 'compensated'],
      ['deploy-test.restore-sender-1', 'compensated'],
    ]);
    // One after the other, in that order.
    for (const [earlier, later] of compensations
      .slice(0, -1)
      .map((step, index) => [step, compensations[index + 1]])) {
      expect(Date.parse(later?.startedAt ?? '')).toBeGreaterThanOrEqual(
        Date.parse(earlier?.finishedAt ?? ''),
      );
    }
    // The target saw the same: batch 1, batch 2, then the restores newest first.
    const updates = readActionLog(stack.demoActionLogFile).filter(
      (entry) => entry.action === 'update' && entry.environment === 'test' && entry.outcome === 'applied',
    );
    const names = updates.map((entry) => entry.instance);
    expect(new Set(names.slice(0, 2))).toEqual(new Set(['sender-1', 'sender-2']));
    expect(new Set(names.slice(2, 4))).toEqual(new Set(['sender-3', 'sender-4']));
    expect(updates.slice(4).map((entry) => [entry.instance, entry.version])).toEqual([
      ['sender-4', '1.0.0'],
      ['sender-3', '1.0.0'],
      ['sender-2', '1.0.0'],
      ['sender-1', '1.0.0'],
    ]);
    expect(done.rollbackPlan.map((entry) => [entry.action, entry.status])).toEqual(
      [4, 3, 2, 1].map((n) => [
        {
          kind: 'restore-instance',
          instance: `sender-${n}`,
          version: '1.0.0',
          from: '1.1.0+failing-on-sender-3',
        },
        'done',
      ]),
    );
  }, 60_000);

  it('updates every instance of every environment in batches and succeeds', async () => {
    const id = await requestSenderRelease('1.1.0');
    const waiting = await waitForStatus(id, ['awaiting-approval', 'failed'], 60_000);
    expect(waiting.status).toBe('awaiting-approval');
    expect(await versionsOnInstances('test')).toEqual(['1.1.0', '1.1.0', '1.1.0', '1.1.0']);
    expect(await versionsOnInstances('staging')).toEqual(['1.1.0']);
    expect(await versionsOnInstances('production')).toEqual(['1.0.0']);
    const deployTest = waiting.steps.find((step) => step.id === 'deploy-test');
    expect(deployTest?.detail).toMatchObject({
      batches: [
        ['sender-1', 'sender-2'],
        ['sender-3', 'sender-4'],
      ],
      previousVersions: { 'sender-1': '1.0.0', 'sender-4': '1.0.0' },
    });

    for (const approver of ['pm-li', 'tl-zhang']) {
      const answer = await api('POST', `/releases/${id}/approvals`, approver, { decision: 'approve' });
      expect(answer.status).toBe(202);
    }
    const done = await waitForStatus(id, ['succeeded', 'failed', 'rolled-back'], 60_000);
    expect(done.status, JSON.stringify(done.failure)).toBe('succeeded');
    expect(await versionsOnInstances('production')).toEqual(['1.1.0']);
    expect((await instances('production')).every((instance) => instance.healthy)).toBe(true);
    expect((await getRelease(id)).rollbackPlan.map((entry) => entry.id)).toContain(
      'deploy-production.restore-sender-1',
    );
  }, 90_000);
});
