import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DemoEnvironmentPorts,
  type DemoTarget,
  startDemoTarget,
} from '../../demo/target/demo-target.js';
import type { EnvironmentStatus } from '../../demo/target/model.js';
import { edmCtl, environmentPorts, freePorts, isAlive, requestJson } from './support.js';

describe('demo target with edm-web', () => {
  let directory: string;
  let stateFile: string;
  let controlPort: number;
  let environments: DemoEnvironmentPorts[];
  let target: DemoTarget | undefined;
  const instancePids = new Set<number>();

  async function start(): Promise<DemoTarget> {
    target = await startDemoTarget({ controlPort, stateFile, environments });
    return target;
  }

  function ports(name: string): DemoEnvironmentPorts {
    const found = environments.find((environment) => environment.name === name);
    if (found === undefined) throw new Error(`no environment ${name} in this test`);
    return found;
  }

  const agentUrl = () => `http://127.0.0.1:${controlPort}`;
  const proxyUrl = (env: string) => `http://127.0.0.1:${ports(env).proxyPort}`;

  /** `edm-ctl deploy` against this test's agent. */
  const deploy = (env: string, colour: string, version: string) =>
    edmCtl(['deploy', '--agent', agentUrl(), '--env', env, '--colour', colour, '--version', version]);

  /** Reads the status and remembers every pid it shows, so the end can prove they are all gone. */
  async function status(env: string): Promise<EnvironmentStatus> {
    const { body } = await requestJson(`${agentUrl()}/environments/${env}`);
    const current = body as EnvironmentStatus;
    for (const colour of Object.values(current.colours)) {
      if (colour?.pid) instancePids.add(colour.pid);
    }
    return current;
  }

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'runway-demo-target-'));
    stateFile = join(directory, 'state', 'demo.json');
    [controlPort] = (await freePorts(1)) as [number];
    environments = await environmentPorts(['test', 'staging']);
    await start();
  }, 30_000);

  afterAll(async () => {
    await target?.stop();
    await rm(directory, { recursive: true, force: true });
  }, 30_000);

  it('serves the initial version from blue on first start', async () => {
    const answer = await requestJson(`${proxyUrl('test')}/version`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ version: '1.0.0', colour: 'blue' });
    expect(answer.headers.get('x-edm-colour')).toBe('blue');

    const current = await status('staging');
    expect(current).toMatchObject({ environment: 'staging', activeColour: 'blue', colours: { green: null } });
    expect(current.colours.blue).toMatchObject({
      version: '1.0.0',
      running: true,
      port: ports('staging').colourPorts.blue,
    });
  });

  it('deploys green with edm-ctl, idempotently, and switches traffic to it', async () => {
    const first = await deploy('test', 'green', '1.1.0');
    expect(first.exitCode, first.stderr).toBe(0);
    const deployed = JSON.parse(first.stdout);
    expect(deployed).toMatchObject({ environment: 'test', colour: 'green', version: '1.1.0', running: true });

    const again = await deploy('test', 'green', '1.1.0');
    expect(again.exitCode, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).pid).toBe(deployed.pid);

    const switched = await edmCtl(['switch', '--agent', agentUrl(), '--env', 'test', '--colour', 'green']);
    expect(switched.exitCode, switched.stderr).toBe(0);
    expect(JSON.parse(switched.stdout)).toEqual({
      environment: 'test',
      activeColour: 'green',
      previousColour: 'blue',
    });

    const answer = await requestJson(`${proxyUrl('test')}/version`);
    expect(answer.body).toEqual({ version: '1.1.0', colour: 'green' });
    expect(answer.headers.get('x-edm-colour')).toBe('green');

    const shown = await edmCtl(['status', '--agent', agentUrl(), '--env', 'test']);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      activeColour: 'green',
      colours: { blue: { version: '1.0.0' } },
    });
    await status('test');
  }, 30_000);

  it('starts a failing version, which the integration test then rejects', async () => {
    const deployed = await deploy('staging', 'green', '1.2.0+failing');
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    expect(JSON.parse(deployed.stdout)).toMatchObject({ version: '1.2.0+failing', running: true });
    await status('staging');

    const greenUrl = `http://127.0.0.1:${ports('staging').colourPorts.green}`;
    const health = await requestJson(`${greenUrl}/health`);
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'failing' });

    const [failing, passing] = await Promise.all([
      edmCtl(['integration-test', '--url', greenUrl, '--version', '1.2.0+failing']),
      edmCtl(['integration-test', '--url', proxyUrl('test'), '--version', '1.1.0']),
    ]);
    expect(failing.exitCode).toBe(1);
    expect(failing.stderr).toContain('integration test');
    const report = JSON.parse(failing.stdout);
    expect(report.passed).toBe(false);
    expect(
      report.checks.map((check: { name: string; passed: boolean }) => [check.name, check.passed]),
    ).toEqual([
      ['health', false],
      ['version', true],
      ['campaigns', false],
    ]);
    expect(passing.exitCode, passing.stderr).toBe(0);
    expect(JSON.parse(passing.stdout)).toMatchObject({ passed: true });

    // `check` is what a blue-green release runs on the idle colour before switching to it.
    const [checkFailing, checkPassing] = await Promise.all([
      edmCtl([
        'check',
        '--agent',
        agentUrl(),
        '--env',
        'staging',
        '--colour',
        'green',
        '--version',
        '1.2.0+failing',
      ]),
      edmCtl(['check', '--agent', agentUrl(), '--env', 'staging', '--colour', 'blue', '--version', '1.0.0']),
    ]);
    expect(checkFailing.exitCode).toBe(1);
    expect(checkFailing.stderr).toContain('green failed its checks: health');
    expect(checkPassing.exitCode, checkPassing.stderr).toBe(0);
    expect(JSON.parse(checkPassing.stdout)).toMatchObject({ colour: 'blue', passed: true });
  }, 30_000);

  it('replaces the failing instance with a slow one that answers after 500 ms or more', async () => {
    const before = await status('staging');
    const deployed = await deploy('staging', 'green', '1.2.0+slow');
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    const after = await status('staging');
    expect(after.colours.green?.pid).not.toBe(before.colours.green?.pid);
    expect(isAlive(before.colours.green?.pid ?? 0)).toBe(false);

    const answer = await requestJson(`http://127.0.0.1:${ports('staging').colourPorts.green}/version`);
    expect(answer.body).toEqual({ version: '1.2.0+slow', colour: 'green' });
    expect(answer.latencyMs).toBeGreaterThanOrEqual(500);
  }, 30_000);

  it('refuses to switch traffic to a colour that is not running', async () => {
    const stopped = await edmCtl(['stop', '--agent', agentUrl(), '--env', 'staging', '--colour', 'green']);
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    expect(JSON.parse(stopped.stdout)).toMatchObject({ colour: 'green', stoppedVersion: '1.2.0+slow' });
    expect((await status('staging')).colours.green).toBeNull();

    const switched = await edmCtl(['switch', '--agent', agentUrl(), '--env', 'staging', '--colour', 'green']);
    expect(switched.exitCode).toBe(1);
    expect(switched.stderr).toContain('409');
    expect(switched.stderr).toContain('no instance is running');
  }, 30_000);

  it('rejects bad input with a message', async () => {
    const [unknownEnv, badVersion, badColour] = await Promise.all([
      edmCtl(['switch', '--agent', agentUrl(), '--env', 'nowhere', '--colour', 'green']),
      deploy('test', 'blue', 'v1.3'),
      deploy('test', 'red', '1.3.0'),
    ]);
    expect(unknownEnv.exitCode).toBe(1);
    expect(unknownEnv.stderr).toContain('unknown environment "nowhere"');
    expect(badVersion.exitCode).toBe(2);
    expect(badVersion.stderr).toContain('--version must be');
    expect(badColour.exitCode).toBe(2);
    expect(badColour.stderr).toContain('--colour must be blue or green');

    const put = (path: string, body: string) =>
      requestJson(`${agentUrl()}${path}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const rejectedVersion = await put('/environments/test/colours/blue', '{"version":"1.3"}');
    expect(rejectedVersion.status).toBe(400);
    expect(rejectedVersion.body).toMatchObject({ error: expect.stringContaining('version') });
    expect((await put('/environments/test/colours/blue', 'not json')).status).toBe(400);
    expect((await put('/environments/test/colours/red', '{"version":"1.3.0"}')).status).toBe(404);
    expect((await put('/environments/nowhere/active', '{"colour":"blue"}')).status).toBe(404);
    expect((await put('/environments/test/active', '{"colour":"purple"}')).status).toBe(400);
  }, 30_000);

  it('restores active colours and versions after a restart', async () => {
    const before = { test: await status('test'), staging: await status('staging') };
    await target?.stop();
    for (const pid of instancePids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    const persisted = JSON.parse(await readFile(stateFile, 'utf8'));
    expect(persisted.environments.test.activeColour).toBe('green');

    await start();
    const after = { test: await status('test'), staging: await status('staging') };
    const withoutPids = (current: EnvironmentStatus) => ({
      ...current,
      colours: {
        blue: current.colours.blue && { ...current.colours.blue, pid: null },
        green: current.colours.green && { ...current.colours.green, pid: null },
      },
    });
    expect(withoutPids(after.test)).toEqual(withoutPids(before.test));
    expect(withoutPids(after.staging)).toEqual(withoutPids(before.staging));
    expect(after.test.colours.green?.running).toBe(true);

    const answer = await requestJson(`${proxyUrl('test')}/version`);
    expect(answer.body).toEqual({ version: '1.1.0', colour: 'green' });
  }, 30_000);

  it('notices an instance that died and starts it again on the next deploy', async () => {
    const blue = (await status('test')).colours.blue;
    if (blue?.pid == null) throw new Error('test/blue is not running');
    process.kill(blue.pid, 'SIGKILL');
    await expect
      .poll(async () => (await status('test')).colours.blue?.running, { timeout: 5_000 })
      .toBe(false);

    const redeployed = await deploy('test', 'blue', blue.version);
    expect(redeployed.exitCode, redeployed.stderr).toBe(0);
    expect(JSON.parse(redeployed.stdout)).toMatchObject({ version: blue.version, running: true });
    await status('test');
  }, 30_000);

  it('answers 502 through the proxy while the active colour has died', async () => {
    const blue = (await status('staging')).colours.blue;
    if (blue?.pid == null) throw new Error('staging/blue is not running');
    process.kill(blue.pid, 'SIGKILL');
    await expect
      .poll(async () => (await status('staging')).colours.blue?.running, { timeout: 5_000 })
      .toBe(false);
    const answer = await requestJson(`${proxyUrl('staging')}/version`);
    expect(answer.status).toBe(502);
    expect(answer.headers.get('x-edm-colour')).toBe('blue');
    expect(answer.body).toMatchObject({ error: expect.stringContaining('no running instance') });
  }, 30_000);

  it('stops the active colour like a retire without expectation: nothing serves, 503', async () => {
    const stopped = await edmCtl(['stop', '--agent', agentUrl(), '--env', 'staging', '--colour', 'blue']);
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    expect(JSON.parse(stopped.stdout)).toMatchObject({ colour: 'blue', activeColour: null });
    const answer = await requestJson(`${proxyUrl('staging')}/version`);
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({ error: 'nothing is deployed in staging' });
  }, 30_000);

  it('leaves no instance behind when stopped', async () => {
    await target?.stop();
    expect(instancePids.size).toBeGreaterThanOrEqual(5);
    for (const pid of instancePids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    const proxy = await fetch(proxyUrl('test')).then(
      () => 'answered',
      () => 'refused',
    );
    expect(proxy).toBe('refused');
  }, 30_000);
});
