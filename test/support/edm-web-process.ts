import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach } from 'vitest';
import { freePorts, REPO_ROOT } from '../demo/support.js';

const SERVER_PATH = fileURLToPath(new URL('../../demo/edm-web/server.ts', import.meta.url));

export interface EdmWebProcess {
  url: string;
  port: number;
  pid: number;
  /** Everything the process printed, for a failing test's message. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * One real edm-web process on a free port, the way the demo target starts one, with `env` added to
 * this process's environment (the fault settings of demo/edm-web/faults.ts). Resolves once it serves.
 */
export async function startEdmWeb(
  version: string,
  env: Record<string, string> = {},
  colour: 'blue' | 'green' = 'blue',
): Promise<EdmWebProcess> {
  const [port] = (await freePorts(1)) as [number];
  const child = execa(
    process.execPath,
    ['--import', 'tsx', SERVER_PATH, '--port', String(port), '--version', version, '--colour', colour],
    { cwd: REPO_ROOT, env, reject: false, all: true, buffer: false },
  );
  let output = '';
  child.all?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await child;
  };
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const response = await fetch(`${url}/version`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      return { url, port, pid: child.pid ?? 0, output: () => output, stop };
    } catch {
      await sleep(50);
    }
  }
  await stop();
  throw new Error(`edm-web ${version} did not serve on port ${port}: ${output}`);
}

/**
 * For a suite that starts edm-web processes in its tests: `start` is startEdmWeb, and every process
 * a test started is stopped after it.
 */
export function useEdmWebProcesses(): typeof startEdmWeb {
  const started: EdmWebProcess[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((instance) => instance.stop()));
  });
  return async (...args) => {
    const instance = await startEdmWeb(...args);
    started.push(instance);
    return instance;
  };
}
