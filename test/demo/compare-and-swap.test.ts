// Deploy, switch and retire are compare-and-swap: the caller says which colour it saw active and the
// target refuses (409 "target-changed", edm-ctl exit code 3) when that is no longer so, changing
// nothing. Also: retire, and an environment where nothing is deployed yet. Real agent, real edm-ctl.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCommandDriver,
  DriverActionError,
  TargetChangedError,
  targetStatusSchema,
} from '../../activities/drivers/blue-green-driver.js';
import { loadConfig } from '../../config/load-config.js';
import {
  type DemoEnvironmentPorts,
  type DemoTarget,
  startDemoTarget,
} from '../../demo/target/demo-target.js';
import type { EnvironmentStatus } from '../../demo/target/model.js';
import type { CommandDriverSpec } from '../../workflows/release-model.js';
import { edmCtl, environmentPorts, freePorts, isAlive, REPO_ROOT, requestJson } from './support.js';

describe('compare-and-swap on the demo target', () => {
  let directory: string;
  let stateFile: string;
  let controlPort: number;
  let environments: DemoEnvironmentPorts[];
  let target: DemoTarget | undefined;

  const start = async () => {
    target = await startDemoTarget({ controlPort, stateFile, environments });
  };
  const agentUrl = () => `http://127.0.0.1:${controlPort}`;
  const proxyUrl = (env: string) =>
    `http://127.0.0.1:${environments.find((environment) => environment.name === env)?.proxyPort}`;
  const on = (env: string) => ['--agent', agentUrl(), '--env', env];

  async function status(env: string): Promise<EnvironmentStatus> {
    return (await requestJson(`${agentUrl()}/environments/${env}`)).body as EnvironmentStatus;
  }

  /** Traffic, versions and pids: everything a refused action must leave as it was. */
  async function snapshot(env: string) {
    const proxied = await requestJson(`${proxyUrl(env)}/version`);
    return { status: await status(env), proxied: { status: proxied.status, body: proxied.body } };
  }

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'runway-demo-cas-'));
    stateFile = join(directory, 'state.json');
    [controlPort] = (await freePorts(1)) as [number];
    const [prod, fresh] = await environmentPorts(['prod', 'fresh']);
    if (prod === undefined || fresh === undefined) throw new Error('no ports');
    environments = [prod, { ...fresh, empty: true }];
    await start();
  }, 30_000);

  afterAll(async () => {
    await target?.stop();
    await rm(directory, { recursive: true, force: true });
  }, 30_000);

  it('refuses deploy, switch and retire with a wrong expectation (exit 3) and changes nothing', async () => {
    const before = await snapshot('prod');
    expect(before.status.activeColour).toBe('blue');

    const [deployExpectingGreen, deployExpectingNone] = await Promise.all([
      edmCtl([
        'deploy',
        ...on('prod'),
        '--colour',
        'green',
        '--version',
        '1.1.0',
        '--expect-active',
        'green',
      ]),
      edmCtl(['deploy', ...on('prod'), '--colour', 'green', '--version', '1.1.0', '--expect-active', 'none']),
    ]);
    for (const refused of [deployExpectingGreen, deployExpectingNone]) {
      expect(refused.exitCode, refused.stderr).toBe(3);
      expect(refused.stderr).toContain('409');
      expect(refused.stderr).toContain('prod has blue active');
    }
    expect(deployExpectingNone.stderr).toContain('the caller expected nothing');
    expect(await snapshot('prod')).toEqual(before);

    const deployed = await edmCtl([
      'deploy',
      ...on('prod'),
      '--colour',
      'green',
      '--version',
      '1.1.0',
      '--expect-active',
      'blue',
    ]);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    const withGreen = await snapshot('prod');
    expect(withGreen.status.colours.green).toMatchObject({ version: '1.1.0', running: true });

    const [switchRefused, retireRefused] = await Promise.all([
      edmCtl(['switch', ...on('prod'), '--colour', 'green', '--expect-active', 'green']),
      edmCtl(['retire', ...on('prod'), '--colour', 'green', '--expect-active', 'none']),
    ]);
    expect(switchRefused.exitCode, switchRefused.stderr).toBe(3);
    expect(switchRefused.stderr).toContain('prod has blue active, but the caller expected green');
    expect(retireRefused.exitCode, retireRefused.stderr).toBe(3);
    expect(await snapshot('prod')).toEqual(withGreen);

    // The control API's answer, which edm-ctl turns into exit code 3.
    const answer = await requestJson(`${agentUrl()}/environments/prod/active`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ colour: 'green', expectActive: null }),
    });
    expect(answer.status).toBe(409);
    expect(answer.body).toEqual({
      error: expect.stringContaining('prod has blue active'),
      code: 'target-changed',
      activeColour: 'blue',
    });
  }, 60_000);

  it('refuses to deploy onto the colour that takes traffic', async () => {
    const before = await snapshot('prod');
    const refused = await edmCtl([
      'deploy',
      ...on('prod'),
      '--colour',
      'blue',
      '--version',
      '1.2.0',
      '--expect-active',
      'blue',
    ]);
    expect(refused.exitCode, refused.stderr).toBe(3);
    expect(refused.stderr).toContain('blue is taking traffic in prod');
    expect(await snapshot('prod')).toEqual(before);
    expect(before.proxied.body).toEqual({ version: '1.0.0', colour: 'blue' });
  }, 30_000);

  it('retires the active colour: nothing serves, and the proxy says so with 503', async () => {
    const switched = await edmCtl(['switch', ...on('prod'), '--colour', 'green', '--expect-active', 'blue']);
    expect(switched.exitCode, switched.stderr).toBe(0);
    // A retry after a lost answer: the expectation is stale, but green already serves, so nothing is overwritten.
    const repeated = await edmCtl(['switch', ...on('prod'), '--colour', 'green', '--expect-active', 'blue']);
    expect(repeated.exitCode, repeated.stderr).toBe(0);
    expect(JSON.parse(repeated.stdout)).toMatchObject({ activeColour: 'green', previousColour: 'green' });
    const greenPid = (await status('prod')).colours.green?.pid;
    if (greenPid == null) throw new Error('prod/green has no pid');

    const retired = await edmCtl(['retire', ...on('prod'), '--colour', 'green', '--expect-active', 'green']);
    expect(retired.exitCode, retired.stderr).toBe(0);
    expect(JSON.parse(retired.stdout)).toEqual({
      environment: 'prod',
      colour: 'green',
      stoppedVersion: '1.1.0',
      stoppedPid: greenPid,
      activeColour: null,
    });
    expect(isAlive(greenPid)).toBe(false);

    const proxied = await requestJson(`${proxyUrl('prod')}/version`);
    expect(proxied.status).toBe(503);
    expect(proxied.body).toEqual({ error: 'nothing is deployed in prod' });
    expect(proxied.headers.get('x-edm-colour')).toBeNull();

    // What a driver's inspect reads.
    const shown = await edmCtl(['status', ...on('prod')]);
    expect(shown.exitCode, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ activeColour: null, colours: { green: null } });
    expect(targetStatusSchema.safeParse(JSON.parse(shown.stdout)).success).toBe(true);
  }, 30_000);

  it('retires idempotently: a colour that is not deployed is already retired', async () => {
    // A retry after a lost answer: the expectation is stale, yet nothing is there to overwrite.
    const again = await edmCtl(['retire', ...on('prod'), '--colour', 'green', '--expect-active', 'green']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      stoppedVersion: null,
      stoppedPid: null,
      activeColour: null,
    });

    const idle = await edmCtl(['retire', ...on('prod'), '--colour', 'blue', '--expect-active', 'none']);
    expect(idle.exitCode, idle.stderr).toBe(0);
    expect(JSON.parse(idle.stdout)).toMatchObject({ colour: 'blue', stoppedVersion: '1.0.0' });
    const twice = await edmCtl(['retire', ...on('prod'), '--colour', 'blue', '--expect-active', 'none']);
    expect(twice.exitCode, twice.stderr).toBe(0);
    expect(JSON.parse(twice.stdout)).toMatchObject({ colour: 'blue', stoppedVersion: null });
    expect((await status('prod')).colours).toEqual({ blue: null, green: null });
  }, 30_000);

  it('starts an empty environment with nothing deployed, then takes a first deploy and switch', async () => {
    expect(await status('fresh')).toEqual({
      environment: 'fresh',
      activeColour: null,
      colours: { blue: null, green: null },
    });
    expect((await requestJson(`${proxyUrl('fresh')}/version`)).status).toBe(503);

    const deployed = await edmCtl([
      'deploy',
      ...on('fresh'),
      '--colour',
      'blue',
      '--version',
      '2.0.0',
      '--expect-active',
      'none',
    ]);
    expect(deployed.exitCode, deployed.stderr).toBe(0);
    const switched = await edmCtl(['switch', ...on('fresh'), '--colour', 'blue', '--expect-active', 'none']);
    expect(switched.exitCode, switched.stderr).toBe(0);
    expect(JSON.parse(switched.stdout)).toEqual({
      environment: 'fresh',
      activeColour: 'blue',
      previousColour: null,
    });
    const answer = await requestJson(`${proxyUrl('fresh')}/version`);
    expect(answer.body).toEqual({ version: '2.0.0', colour: 'blue' });
  }, 30_000);

  it('keeps what was recorded over `empty` and over nothing active when restarted', async () => {
    await target?.stop();
    const persisted = JSON.parse(await readFile(stateFile, 'utf8'));
    expect(persisted.environments.prod).toEqual({ activeColour: null, colours: { blue: null, green: null } });
    expect(persisted.environments.fresh.activeColour).toBe('blue');

    await start();
    expect((await status('prod')).activeColour).toBeNull();
    expect((await requestJson(`${proxyUrl('prod')}/version`)).status).toBe(503);
    expect((await requestJson(`${proxyUrl('fresh')}/version`)).body).toEqual({
      version: '2.0.0',
      colour: 'blue',
    });
  }, 30_000);

  describe('through the command driver with the shipped edm-web commands', () => {
    async function driverFor(env: string) {
      const deploy = (await loadConfig()).services['edm-web']?.deploy;
      if (deploy?.strategy !== 'blue-green') throw new Error('edm-web has no blue-green driver');
      const { actions } = deploy.driver;
      const spec = (name: keyof CommandDriverSpec['actions']) => ({
        argv: actions[name].argv,
        timeoutMs: actions[name].timeoutSeconds * 1000,
        envFrom: actions[name].envFrom,
      });
      const driverSpec: CommandDriverSpec = {
        type: 'command',
        actions: {
          inspect: spec('inspect'),
          deploy: spec('deploy'),
          check: spec('check'),
          switch: spec('switch'),
          retire: spec('retire'),
        },
      };
      return createCommandDriver(driverSpec, { agent: agentUrl(), environment: env }, { cwd: REPO_ROOT });
    }

    it('throws TargetChangedError on a refusal and undoes a first-ever deploy with retire', async () => {
      const driver = await driverFor('prod');
      expect(await driver.inspect()).toMatchObject({ activeColour: null });

      const refused = await driver
        .deploy('green', '3.0.0', 'blue', 'r1/deploy-prod/deploy-green')
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(TargetChangedError);
      expect((refused as TargetChangedError).action).toBe('deploy');
      expect((refused as TargetChangedError).result.exitCode).toBe(3);
      expect((refused as Error).message).toContain('not as the release expected');
      expect((refused as Error).message).toContain('prod has nothing active');

      await driver.deploy('green', '3.0.0', null, 'r2/deploy-prod/deploy-green');
      await driver.switchTo('green', null, 'r2/deploy-prod/switch-green');
      expect(await driver.inspect()).toMatchObject({
        activeColour: 'green',
        colours: { green: { version: '3.0.0' } },
      });
      await expect(driver.switchTo('blue', null, 'r3/deploy-prod/switch-blue')).rejects.toBeInstanceOf(
        TargetChangedError,
      );

      await driver.retire('green', 'green', 'r2/deploy-prod.retire');
      // Again under another key: nothing left to retire, still fine.
      await driver.retire('green', 'green', 'r4/deploy-prod.retire');
      expect(await driver.inspect()).toMatchObject({
        activeColour: null,
        colours: { blue: null, green: null },
      });
      // Other failures stay what they were.
      await expect(driver.check('green', '3.0.0')).rejects.toBeInstanceOf(DriverActionError);
    }, 60_000);
  });

  it('starts an --empty-env environment of the demo-target command with nothing deployed', async () => {
    const [port] = (await freePorts(1)) as [number];
    const [scratch] = await environmentPorts(['scratch']);
    if (scratch === undefined) throw new Error('no ports');
    const { proxyPort, colourPorts } = scratch;
    const command = (extra: string[]) =>
      execa(
        process.execPath,
        [
          '--import',
          'tsx',
          'demo/bin/demo-target.ts',
          '--control-port',
          String(port),
          '--state-file',
          join(directory, 'scratch.json'),
          '--env',
          `scratch:${proxyPort}:${colourPorts.blue}:${colourPorts.green}`,
          ...extra,
        ],
        { cwd: REPO_ROOT, reject: false },
      );

    const misnamed = await command(['--empty-env', 'nowhere']);
    expect(misnamed.exitCode).toBe(2);
    expect(misnamed.stderr).toContain('--empty-env nowhere names no environment');

    const agent = command(['--empty-env', 'scratch']);
    try {
      await expect
        .poll(
          async () =>
            requestJson(`http://127.0.0.1:${port}/environments/scratch`).then(
              (answer) => answer.body,
              () => undefined,
            ),
          { timeout: 20_000, interval: 200 },
        )
        .toEqual({ environment: 'scratch', activeColour: null, colours: { blue: null, green: null } });
    } finally {
      agent.kill('SIGTERM');
      await agent;
    }
  }, 40_000);
});
