import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DemoEnvironmentPorts,
  type DemoTarget,
  startDemoTarget,
} from '../../demo/target/demo-target.js';
import { edmCtl, environmentPorts, freePorts } from './support.js';

const FAULT_AFTER_MS = 1000;

async function statuses(url: string, count: number): Promise<number[]> {
  const found: number[] = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    await response.arrayBuffer();
    found.push(response.status);
  }
  return found;
}

describe('a +errors build on the demo target', () => {
  let directory: string;
  let target: DemoTarget | undefined;
  let environment: DemoEnvironmentPorts;
  let agentUrl: string;
  const savedFaultAfter = process.env.EDM_FAULT_AFTER_MS;

  beforeAll(async () => {
    // The agent's instances inherit it; the agent itself sets the traffic clock.
    process.env.EDM_FAULT_AFTER_MS = String(FAULT_AFTER_MS);
    directory = await mkdtemp(join(tmpdir(), 'runway-late-faults-'));
    const [controlPort] = (await freePorts(1)) as [number];
    [environment] = (await environmentPorts(['test'])) as [DemoEnvironmentPorts];
    agentUrl = `http://127.0.0.1:${controlPort}`;
    target = await startDemoTarget({
      controlPort,
      stateFile: join(directory, 'demo.json'),
      environments: [environment],
    });
  }, 30_000);

  afterAll(async () => {
    await target?.stop();
    if (savedFaultAfter === undefined) delete process.env.EDM_FAULT_AFTER_MS;
    else process.env.EDM_FAULT_AFTER_MS = savedFaultAfter;
    await rm(directory, { recursive: true, force: true });
  }, 30_000);

  it('passes its pre-switch check however late, goes bad a while after the switch, and recovers on switching back', async () => {
    const version = '1.3.0+errors';
    const deployed = await edmCtl([
      'deploy',
      '--agent',
      agentUrl,
      '--env',
      'test',
      '--colour',
      'green',
      '--version',
      version,
    ]);
    expect(deployed.exitCode, deployed.stderr).toBe(0);

    // Longer than the fault delay, yet the idle colour is only checked directly: no fault yet.
    await sleep(FAULT_AFTER_MS + 200);
    const check = ['check', '--agent', agentUrl, '--env', 'test', '--colour', 'green', '--version', version];
    const checked = await edmCtl(check);
    expect(checked.exitCode, checked.stderr).toBe(0);

    const switched = await edmCtl(['switch', '--agent', agentUrl, '--env', 'test', '--colour', 'green']);
    expect(switched.exitCode, switched.stderr).toBe(0);
    const front = `http://127.0.0.1:${environment.proxyPort}`;
    // The first request through the proxy starts the clock; it is answered before the fault begins.
    expect(await statuses(`${front}/api/campaigns`, 1)).toEqual([200]);

    await sleep(FAULT_AFTER_MS + 100);
    const answers = await statuses(`${front}/api/campaigns`, 20);
    expect(answers.filter((status) => status === 500)).toHaveLength(6);
    expect(await statuses(`${front}/health`, 5)).toEqual([200, 200, 200, 200, 200]);

    const back = await edmCtl(['switch', '--agent', agentUrl, '--env', 'test', '--colour', 'blue']);
    expect(back.exitCode, back.stderr).toBe(0);
    expect(await statuses(`${front}/api/campaigns`, 20)).toEqual(Array(20).fill(200));
  }, 60_000);
});
