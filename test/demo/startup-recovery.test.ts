import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { type DemoTarget, startDemoTarget } from '../../demo/target/demo-target.js';
import type { EnvironmentStatus } from '../../demo/target/model.js';
import { environmentPorts, freePorts, isAlive, REPO_ROOT, requestJson } from './support.js';

async function untilAnswering(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await requestJson(url);
      return;
    } catch {
      await delay(100);
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

const controlUrlOf = (port: number) => `http://127.0.0.1:${port}`;

describe('demo target start-up', () => {
  const directories: string[] = [];
  const targets: DemoTarget[] = [];
  const orphans: number[] = [];

  async function scratchDirectory(): Promise<string> {
    const directory = await mkdtemp(join(tmpdir(), 'runway-demo-startup-'));
    directories.push(directory);
    return directory;
  }

  async function start(options: Parameters<typeof startDemoTarget>[0]): Promise<DemoTarget> {
    const target = await startDemoTarget(options);
    targets.push(target);
    return target;
  }

  afterAll(async () => {
    await Promise.all(targets.map((target) => target.stop()));
    // Only if a test failed before the restarted agent cleaned them up.
    for (const pid of orphans.filter(isAlive)) process.kill(pid, 'SIGKILL');
    await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
  }, 30_000);

  it('stops the instances the crashed agent left behind and serves again', async () => {
    const stateFile = join(await scratchDirectory(), 'state.json');
    const [controlPort] = (await freePorts(1)) as [number];
    const [environment] = await environmentPorts(['test']);
    if (environment === undefined) throw new Error('no ports');
    const { proxyPort, colourPorts } = environment;
    const controlUrl = `http://127.0.0.1:${controlPort}`;

    const agent = execa(
      process.execPath,
      [
        '--import',
        'tsx',
        'demo/bin/demo-target.ts',
        '--control-port',
        String(controlPort),
        '--state-file',
        stateFile,
        '--env',
        `test:${proxyPort}:${colourPorts.blue}:${colourPorts.green}`,
        '--initial-version',
        '1.4.0',
      ],
      { cwd: REPO_ROOT, reject: false },
    );
    await untilAnswering(`${controlUrl}/environments/test`, 20_000);
    const before = (await requestJson(`${controlUrl}/environments/test`)).body as EnvironmentStatus;
    const orphan = before.colours.blue?.pid;
    if (orphan == null) throw new Error('blue has no pid');
    orphans.push(orphan);

    agent.kill('SIGKILL');
    await agent;
    expect(isAlive(orphan)).toBe(true);

    await start({ controlPort, stateFile, environments: [environment] });
    expect(isAlive(orphan)).toBe(false);
    const answer = await requestJson(`http://127.0.0.1:${proxyPort}/version`);
    expect(answer.body).toEqual({ version: '1.4.0', colour: 'blue' });
    const after = (await requestJson(`${controlUrl}/environments/test`)).body as EnvironmentStatus;
    expect(after.colours.blue?.pid).not.toBe(orphan);
  }, 40_000);

  it('also stops an instance left over from a run whose servers started from their sources', async () => {
    const stateFile = join(await scratchDirectory(), 'state.json');
    const [controlPort] = (await freePorts(1)) as [number];
    const [environment] = await environmentPorts(['test']);
    if (environment === undefined) throw new Error('no ports');
    // What the agent ran before its servers were bundled: the TypeScript source through tsx.
    const older = execa(
      process.execPath,
      [
        '--import',
        'tsx',
        join(REPO_ROOT, 'demo/edm-web/server.ts'),
        '--port',
        String(environment.colourPorts.blue),
        '--version',
        '1.4.0',
        '--colour',
        'blue',
      ],
      { cwd: REPO_ROOT, reject: false },
    );
    const orphan = older.pid as number;
    orphans.push(orphan);
    await untilAnswering(`http://127.0.0.1:${environment.colourPorts.blue}/version`, 20_000);
    const state = {
      schemaVersion: 1,
      environments: {
        test: { activeColour: 'blue', colours: { blue: { version: '1.4.0', pid: orphan }, green: null } },
      },
    };
    await writeFile(stateFile, JSON.stringify(state));

    await start({ controlPort, stateFile, environments: [environment] });
    await older;
    expect(isAlive(orphan)).toBe(false);
    const answer = await requestJson(`http://127.0.0.1:${environment.proxyPort}/version`);
    expect(answer.body).toEqual({ version: '1.4.0', colour: 'blue' });
    const after = (await requestJson(`${controlUrlOf(controlPort)}/environments/test`))
      .body as EnvironmentStatus;
    expect(after.colours.blue?.pid).not.toBe(orphan);
  }, 40_000);

  it('leaves alone a recorded pid that now belongs to another program', async () => {
    const stateFile = join(await scratchDirectory(), 'state.json');
    const state = {
      schemaVersion: 1,
      environments: {
        test: {
          activeColour: 'blue',
          colours: { blue: { version: '1.5.0', pid: process.pid }, green: null },
        },
      },
    };
    await writeFile(stateFile, JSON.stringify(state));
    const [controlPort] = (await freePorts(1)) as [number];
    const environments = await environmentPorts(['test']);
    const lines: string[] = [];
    await start({ controlPort, stateFile, environments, log: (line) => lines.push(line) });

    expect(lines.join('\n')).toContain(`recorded pid ${process.pid} is now another program`);
    const answer = await requestJson(`http://127.0.0.1:${environments[0]?.proxyPort}/version`);
    expect(answer.body).toEqual({ version: '1.5.0', colour: 'blue' });
  }, 30_000);

  it('fails with the port in the message and keeps the recorded versions when a port is taken', async () => {
    const stateFile = join(await scratchDirectory(), 'state.json');
    const [controlPort] = (await freePorts(1)) as [number];
    const environments = await environmentPorts(['test']);
    const [environment] = environments;
    if (environment === undefined) throw new Error('no ports');
    const first = await start({ controlPort, stateFile, environments, initialVersion: '1.6.0' });
    await first.stop();

    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(environment.proxyPort, '127.0.0.1', resolve));
    try {
      await expect(startDemoTarget({ controlPort, stateFile, environments })).rejects.toThrow(
        `127.0.0.1:${environment.proxyPort}`,
      );
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    const persisted = JSON.parse(await readFile(stateFile, 'utf8'));
    expect(persisted.environments.test.colours.blue).toEqual({ version: '1.6.0', pid: null });
  }, 30_000);
});
