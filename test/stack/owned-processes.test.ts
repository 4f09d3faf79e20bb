// The pid files the launcher keeps for its servers: a later start stops what an earlier one left,
// and never a process that merely has a recorded pid.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processStartTime, recordProcess, stopRecordedProcesses } from '../../stack/owned-processes.js';
import { projectRoot } from '../../stack/temporal-binaries.js';

let dir: string;
const spawned: number[] = [];

function sleep(): ChildProcess {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  if (child.pid) spawned.push(child.pid);
  return child;
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processStartTime(pid) !== undefined) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runway-pids-'));
});

afterAll(async () => {
  for (const pid of spawned) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await rm(dir, { recursive: true, force: true });
});

describe('pid files of the servers a launcher starts', () => {
  it('stops the recorded process, leaves alone a live process whose start time differs, forgets both', async () => {
    const ours = sleep();
    const oursExited = once(ours, 'exit');
    recordProcess(join(dir, 'ours.json'), ours, 'our sleep', 'SIGTERM');

    // A pid file naming a live process that is not the one recorded: the pid was reused.
    const stranger = sleep();
    await writeFile(
      join(dir, 'reused.json'),
      JSON.stringify({
        pid: stranger.pid,
        startTime: 'another start time',
        what: 'PostgreSQL',
        stopSignal: 'SIGINT',
      }),
    );
    const gone = spawn('true');
    await once(gone, 'exit');
    await writeFile(
      join(dir, 'gone.json'),
      JSON.stringify({
        pid: gone.pid,
        startTime: 'whenever',
        what: 'Temporal dev server',
        stopSignal: 'SIGTERM',
      }),
    );

    const lines: string[] = [];
    await stopRecordedProcesses(dir, 5_000, (line) => lines.push(line));

    expect(await oursExited).toEqual([null, 'SIGTERM']);
    expect(stranger.exitCode).toBeNull();
    expect(stranger.signalCode).toBeNull();
    expect(processStartTime(stranger.pid as number)).toBeDefined();
    expect(await readdir(dir)).toEqual([]);
    expect(lines.sort()).toEqual([
      `pid ${stranger.pid} recorded for PostgreSQL is now another program; left alone`,
      `stopped our sleep (pid ${ours.pid}) left by an earlier run`,
    ]);
    stranger.kill('SIGKILL');
  });

  it.runIf(process.platform === 'linux' && spawnSync('setpriv', ['--help']).status === 0)(
    'a server dies with the process that started it, even when that one is killed with SIGKILL',
    async () => {
      const parent = execa(
        process.execPath,
        ['--import', 'tsx', 'test/stack/fixtures/spawn-server-and-wait.ts'],
        {
          cwd: projectRoot,
          reject: false,
        },
      );
      const [line] = (await once(parent.stdout, 'data')) as [Buffer];
      const pid = Number.parseInt(line.toString(), 10);
      spawned.push(pid);
      expect(processStartTime(pid)).toBeDefined();
      parent.kill('SIGKILL');
      await parent;
      expect(await waitUntilGone(pid, 5_000)).toBe(true);
    },
  );
});
