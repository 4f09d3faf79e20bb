// Temporal Web as its own server (ui-server) in front of the cluster: read-only (no signal,
// cancel, terminate, reset or batch action from the browser: releases change through Runway's
// API, which checks roles and records who did what), reaching the frontends with a client
// certificate of the cluster's CA, and decoding payloads through Runway's codec endpoint.
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { recordWhileRunning, spawnServer } from '../owned-processes.js';
import { waitUntilAnswers } from '../wait-until-answers.js';

export interface TemporalWebOptions {
  uiServer: string;
  stateDir: string;
  port: number;
  temporalAddress: string;
  namespace: string;
  tls: { caFile: string; certFile: string; keyFile: string; serverName: string };
  codecEndpoint: string;
  pidsDir?: string;
}

export interface TemporalWeb {
  url: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

/** The server's configuration (config/runway.yaml under its root). */
export function temporalWebConfig(options: TemporalWebOptions): string {
  return stringify({
    temporalGrpcAddress: options.temporalAddress,
    host: '127.0.0.1',
    port: options.port,
    enableUi: true,
    defaultNamespace: options.namespace,
    disableNewsFetch: true,
    notifyOnNewVersion: false,
    disableWriteActions: true,
    workflowTerminateDisabled: true,
    workflowCancelDisabled: true,
    workflowSignalDisabled: true,
    workflowUpdateDisabled: true,
    workflowResetDisabled: true,
    batchActionsDisabled: true,
    startWorkflowDisabled: true,
    cors: { allowOrigins: [`http://localhost:${options.port}`, `http://127.0.0.1:${options.port}`] },
    tls: {
      caFile: options.tls.caFile,
      certFile: options.tls.certFile,
      keyFile: options.tls.keyFile,
      serverName: options.tls.serverName,
      enableHostVerification: true,
    },
    codec: { endpoint: options.codecEndpoint, passAccessToken: false, includeCredentials: false },
    auth: { enabled: false },
  });
}

export async function startTemporalWeb(options: TemporalWebOptions): Promise<TemporalWeb> {
  const root = join(options.stateDir, 'temporal-web');
  mkdirSync(join(root, 'config'), { recursive: true });
  writeFileSync(join(root, 'config', 'runway.yaml'), temporalWebConfig(options));
  const output = createWriteStream(join(root, 'server.log'), { flags: 'a' });
  const child: ChildProcess = spawnServer(
    options.uiServer,
    ['--root', root, '--config', 'config', '--env', 'runway', 'start'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    'SIGTERM',
  );
  child.stdout?.pipe(output);
  child.stderr?.pipe(output);
  if (options.pidsDir)
    recordWhileRunning(join(options.pidsDir, 'temporal-web.json'), child, 'Temporal Web', 'SIGTERM');
  const url = `http://127.0.0.1:${options.port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  };
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await waitUntilAnswers(`${url}/api/v1/settings`, {
      timeoutMs: 30_000,
      exited,
      what: `Temporal Web (see ${join(root, 'server.log')})`,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, pid: child.pid, stop };
}
