// The demo agent's action log: every deploy, switch and retire it receives, and a repeated
// idempotency key treated as the no-op it is — also after the agent restarts — so a driver call
// retried by a new worker after the first one died has its effect once.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readActionLog } from '../../demo/target/action-log.js';
import { actionLogFileFor, type DemoTarget, startDemoTarget } from '../../demo/target/demo-target.js';
import { edmCtl, environmentPorts, freePorts, isAlive, requestJson } from './support.js';

let dir: string;
let stateFile: string;
let target: DemoTarget;
let agent: string;
let start: () => Promise<DemoTarget>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runway-action-log-'));
  stateFile = join(dir, 'state.json');
  const environments = await environmentPorts(['test']);
  const [controlPort] = (await freePorts(1)) as [number];
  start = () => startDemoTarget({ controlPort, stateFile, environments });
  target = await start();
  agent = target.controlUrl;
});

afterAll(async () => {
  await target?.stop();
  await rm(dir, { recursive: true, force: true });
});

const deploy = (key: string) =>
  edmCtl([
    'deploy',
    '--agent',
    agent,
    '--env',
    'test',
    '--colour',
    'green',
    '--version',
    '1.1.0',
    '--expect-active',
    'blue',
    '--key',
    key,
  ]);

describe('the demo agent action log', () => {
  it('applies a key once, answers a repeat with the first result and logs it as a repeat', async () => {
    const first = await deploy('r1/deploy-test/deploy-green');
    expect(first.exitCode).toBe(0);
    const pid = (JSON.parse(first.stdout) as { pid: number }).pid;
    const again = await deploy('r1/deploy-test/deploy-green');
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual(JSON.parse(first.stdout));
    expect(isAlive(pid)).toBe(true);
    const entries = readActionLog(actionLogFileFor(stateFile));
    expect(
      entries.map((entry) => [entry.key, entry.action, entry.colour, entry.version, entry.outcome]),
    ).toEqual([
      ['r1/deploy-test/deploy-green', 'deploy', 'green', '1.1.0', 'applied'],
      ['r1/deploy-test/deploy-green', 'deploy', 'green', '1.1.0', 'repeat'],
    ]);
  });

  it('still knows its keys after a restart, and logs refusals without remembering them', async () => {
    await target.stop();
    target = await start();
    agent = target.controlUrl;
    expect((await deploy('r1/deploy-test/deploy-green')).exitCode).toBe(0);
    const refused = await edmCtl([
      'switch',
      '--agent',
      agent,
      '--env',
      'test',
      '--colour',
      'green',
      '--expect-active',
      'green',
      '--key',
      'r1/deploy-test/switch-green',
    ]);
    expect(refused.exitCode).toBe(3);
    const switched = await edmCtl([
      'switch',
      '--agent',
      agent,
      '--env',
      'test',
      '--colour',
      'green',
      '--expect-active',
      'blue',
      '--key',
      'r1/deploy-test/switch-green',
    ]);
    expect(switched.exitCode).toBe(0);
    expect((await requestJson(`${agent}/environments/test`)).body).toMatchObject({ activeColour: 'green' });
    const entries = readActionLog(actionLogFileFor(stateFile)).slice(2);
    expect(entries.map((entry) => [entry.action, entry.outcome])).toEqual([
      ['deploy', 'repeat'],
      ['switch', 'refused'],
      ['switch', 'applied'],
    ]);
  });
});
