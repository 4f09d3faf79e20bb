// edm-sender on the demo target (R-RB-ROLLING): four real instances behind a round-robin proxy,
// updated one by one with compare-and-swap, checked on their own ports, and kept across a restart.
// Real agent, real processes, real edm-ctl.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchInstancesUntil } from '../../demo/edm-ctl/instance-watch.js';
import { readActionLog } from '../../demo/target/action-log.js';
import {
  actionLogFileFor,
  type DemoEnvironmentPorts,
  type DemoTarget,
  startDemoTarget,
} from '../../demo/target/demo-target.js';
import type { SenderInstanceStatus } from '../../demo/target/model.js';
import { edmCtl, freePorts, requestJson } from './support.js';

describe('edm-sender on the demo target', () => {
  let directory: string;
  let stateFile: string;
  let controlPort: number;
  let environments: DemoEnvironmentPorts[];
  let target: DemoTarget | undefined;

  const agentUrl = () => `http://127.0.0.1:${controlPort}`;
  const on = ['--agent', '', '--env', 'prod'];
  const start = async () => {
    target = await startDemoTarget({ controlPort, stateFile, environments });
  };
  const instances = async () =>
    (await requestJson(`${agentUrl()}/environments/prod/instances`)).body as SenderInstanceStatus[];
  const versionOn = async (port: number) =>
    ((await requestJson(`http://127.0.0.1:${port}/version`)).body as { version: string }).version;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'runway-demo-sender-'));
    stateFile = join(directory, 'state.json');
    const ports = await freePorts(9);
    const [control, proxy, blue, green, senderProxy, ...instancePorts] = ports as number[];
    controlPort = control as number;
    on[1] = agentUrl();
    environments = [
      {
        name: 'prod',
        proxyPort: proxy as number,
        colourPorts: { blue: blue as number, green: green as number },
        sender: { proxyPort: senderProxy as number, instancePorts },
      },
    ];
    await start();
  }, 40_000);

  afterAll(async () => {
    await target?.stop();
    await rm(directory, { recursive: true, force: true });
  }, 30_000);

  it('runs four instances, each on its own port, listed by edm-ctl with their versions', async () => {
    const listed = await edmCtl(['instances', ...on]);
    expect(listed.exitCode, listed.stderr).toBe(0);
    const ports = environments[0]?.sender?.instancePorts ?? [];
    expect(JSON.parse(listed.stdout)).toEqual(
      ports.map((port, index) => ({
        instance: `sender-${index + 1}`,
        version: '1.0.0',
        healthy: true,
        port,
      })),
    );
    expect(await Promise.all(ports.map(versionOn))).toEqual(['1.0.0', '1.0.0', '1.0.0', '1.0.0']);
  });

  it('updates one instance only while it runs the expected version (else exit 3, nothing changed)', async () => {
    const before = await instances();
    const [refused, updated] = await Promise.all([
      edmCtl(['update', ...on, '--instance', 'sender-2', '--version', '1.1.0', '--expect-version', '0.9.0']),
      edmCtl([
        ...['update', ...on, '--instance', 'sender-1', '--version', '1.1.0'],
        ...['--expect-version', '1.0.0', '--key', 'rel-1/deploy/sender-1'],
      ]),
    ]);
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toMatch(
      /sender-2 to 1\.1\.0 refused: it runs 1\.0\.0, but the caller expected 0\.9\.0/,
    );
    expect(updated.exitCode, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({
      instance: 'sender-1',
      version: '1.1.0',
      previousVersion: '1.0.0',
    });

    const after = await instances();
    expect(after.map((instance) => instance.version)).toEqual(['1.1.0', '1.0.0', '1.0.0', '1.0.0']);
    expect(after[1]?.pid).toBe(before[1]?.pid);
    expect(await versionOn(after[0]?.port as number)).toBe('1.1.0');

    // The same key again is a no-op, even with an expectation that no longer holds.
    const repeat = await edmCtl([
      ...['update', ...on, '--instance', 'sender-1', '--version', '1.1.0'],
      ...['--expect-version', '1.0.0', '--key', 'rel-1/deploy/sender-1'],
    ]);
    expect(repeat.exitCode, repeat.stderr).toBe(0);
    expect((await instances())[0]?.pid).toBe(after[0]?.pid);
    const updates = readActionLog(actionLogFileFor(stateFile)).filter((entry) => entry.action === 'update');
    expect(updates.map((entry) => [entry.instance, entry.outcome])).toEqual([
      ['sender-2', 'refused'],
      ['sender-1', 'applied'],
      ['sender-1', 'repeat'],
    ]);
  });

  it('checks an instance on its own port: right version and healthy, or a failure on stderr', async () => {
    await edmCtl(['update', ...on, '--instance', 'sender-3', '--version', '1.2.0+failing-on-sender-3']);
    await edmCtl(['update', ...on, '--instance', 'sender-4', '--version', '1.2.0+failing-on-sender-3']);
    const [good, wrongVersion, failing, sameBuildElsewhere] = await Promise.all([
      edmCtl(['check-instance', ...on, '--instance', 'sender-1', '--version', '1.1.0']),
      edmCtl(['check-instance', ...on, '--instance', 'sender-2', '--version', '1.1.0']),
      edmCtl(['check-instance', ...on, '--instance', 'sender-3', '--version', '1.2.0+failing-on-sender-3']),
      edmCtl(['check-instance', ...on, '--instance', 'sender-4', '--version', '1.2.0+failing-on-sender-3']),
    ]);
    expect(good.exitCode, good.stderr).toBe(0);
    expect(wrongVersion.exitCode).toBe(1);
    expect(wrongVersion.stderr).toMatch(
      /sender-2 failed its checks: version \(expected version 1\.1\.0, found 1\.0\.0\)/,
    );
    expect(failing.exitCode).toBe(1);
    expect(failing.stderr).toMatch(/sender-3 failed its checks: health/);
    expect(sameBuildElsewhere.exitCode, sameBuildElsewhere.stderr).toBe(0);
  });

  it('sends proxy requests round-robin to the healthy instances only', async () => {
    const proxy = `http://127.0.0.1:${environments[0]?.sender?.proxyPort}`;
    await expect
      .poll(async () => (await instances()).map((instance) => instance.healthy))
      .toEqual([true, true, false, true]);
    const served = [];
    for (let request = 0; request < 6; request++) {
      const answer = await requestJson(`${proxy}/version`);
      served.push(answer.headers.get('x-edm-instance'));
    }
    expect(new Set(served)).toEqual(new Set(['sender-1', 'sender-2', 'sender-4']));
  });

  it('keeps every instance on its version across a restart of the target', async () => {
    const before = await instances();
    await target?.stop();
    await start();
    const after = await instances();
    expect(after.map(({ instance, version, running }) => ({ instance, version, running }))).toEqual(
      before.map(({ instance, version }) => ({ instance, version, running: true })),
    );
    expect(after.map((instance) => instance.pid)).not.toEqual(before.map((instance) => instance.pid));
    expect(await Promise.all(after.map((instance) => versionOn(instance.port)))).toEqual([
      '1.1.0',
      '1.0.0',
      '1.2.0+failing-on-sender-3',
      '1.2.0+failing-on-sender-3',
    ]);
  }, 40_000);

  it('tells when each instance, on its own port, is back on a version (for the rollback benchmark)', async () => {
    const watching = watchInstancesUntil(agentUrl(), 'prod', '1.0.0', { timeoutMs: 30_000 });
    for (const instance of ['sender-4', 'sender-3', 'sender-1']) {
      await requestJson(`${agentUrl()}/environments/prod/instances/${instance}`, {
        method: 'PUT',
        body: JSON.stringify({ version: '1.0.0' }),
      });
    }
    const arrivals = await watching;
    // sender-2 already ran 1.0.0; the others arrive in the order they were put back.
    expect(arrivals.map((arrival) => arrival.instance)).toEqual([
      'sender-2',
      'sender-4',
      'sender-3',
      'sender-1',
    ]);
  }, 40_000);
});
