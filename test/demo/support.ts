import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import type { DemoEnvironmentPorts } from '../../demo/target/demo-target.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EDM_CTL = fileURLToPath(new URL('../../demo/bin/edm-ctl.ts', import.meta.url));

/** Holds every listener open until all are bound, so the ports handed out are distinct. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export async function environmentPorts(names: string[]): Promise<DemoEnvironmentPorts[]> {
  const ports = await freePorts(names.length * 3);
  return names.map((name, index) => {
    const [proxyPort, blue, green] = ports.slice(index * 3, index * 3 + 3) as [number, number, number];
    return { name, proxyPort, colourPorts: { blue, green } };
  });
}

export function edmCtl(args: string[]) {
  return execa(process.execPath, ['--import', 'tsx', EDM_CTL, ...args], { cwd: REPO_ROOT, reject: false });
}

export interface JsonAnswer {
  status: number;
  headers: Headers;
  body: unknown;
  latencyMs: number;
}

export async function requestJson(url: string, init: RequestInit = {}): Promise<JsonAnswer> {
  const started = performance.now();
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: JSON.parse(text),
    latencyMs: performance.now() - started,
  };
}

/** Zombies count as gone: an orphan killed in a container may never be reaped, yet it is not running. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
