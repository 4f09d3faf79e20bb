import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort, isPortFree } from '../../stack/free-port.js';
import { resolveTemporalCli } from '../../stack/temporal-binaries.js';
import { type DevServer, startTemporalDevServer } from '../../stack/temporal-dev-server.js';
import { createDevServerTestEnv, quietTemporalRuntime } from '../support/temporal-test-env.js';
import { bundleStackCheckWorkflows } from './fixtures/bundle-fixture-workflows.js';
import { runwayServiceKey, tagWithService } from './fixtures/stack-check-workflows.js';

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function customSearchAttributes(server: DevServer): Promise<Record<string, unknown>> {
  const connection = await Connection.connect({ address: server.address });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({
      namespace: server.namespace,
    });
    return customAttributes ?? {};
  } finally {
    await connection.close();
  }
}

/** Runs tagWithService on the server and returns the workflow id. */
async function runTaggedWorkflow(
  server: DevServer,
  workflowBundle: WorkflowBundleWithSourceMap,
  service: string,
): Promise<string> {
  const taskQueue = `stack-check-${Date.now()}`;
  const workflowId = `tag-${service}-${Date.now()}`;
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection, namespace: server.namespace });
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace: server.namespace,
      taskQueue,
      workflowBundle,
    });
    const result = await worker.runUntil(
      client.workflow.execute(tagWithService, { taskQueue, workflowId, args: [service] }),
    );
    expect(result).toBe(service);
    return workflowId;
  } finally {
    await connection.close();
    await nativeConnection.close();
  }
}

describe('Temporal dev server', () => {
  let workflowBundle: WorkflowBundleWithSourceMap;
  let dir: string;

  beforeAll(async () => {
    quietTemporalRuntime();
    workflowBundle = await bundleStackCheckWorkflows();
    dir = await mkdtemp(join(tmpdir(), 'runway-temporal-'));
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('starts on free ports with a namespace, search attributes and the Web UI, and stops without leftovers', async () => {
    const port = await getFreePort();
    const uiPort = await getFreePort();
    const started = Date.now();
    const server = await startTemporalDevServer({
      port,
      uiPort,
      namespace: 'runway-stack-check',
      searchAttributes: { RunwayService: 'Keyword', RunwayReleaseType: 'Keyword' },
      logFile: join(dir, 'temporal.log'),
    });
    try {
      console.info(`dev server ready in ${Date.now() - started} ms`);
      expect(server.address).toBe(`127.0.0.1:${port}`);
      expect(server.namespace).toBe('runway-stack-check');
      expect(server.uiUrl).toBe(`http://localhost:${uiPort}`);
      expect((await fetch(`http://127.0.0.1:${uiPort}/`)).status).toBe(200);
      expect(await customSearchAttributes(server)).toMatchObject({ RunwayService: 2, RunwayReleaseType: 2 });

      // Visibility answers queries on the custom attribute (eventually consistent).
      const workflowId = await runTaggedWorkflow(server, workflowBundle, 'edm-web');
      const connection = await Connection.connect({ address: server.address });
      const client = new Client({ connection, namespace: server.namespace });
      let found: string[] = [];
      for (let attempt = 0; attempt < 50 && found.length === 0; attempt++) {
        found = [];
        for await (const run of client.workflow.list({ query: `RunwayService = 'edm-web'` })) {
          found.push(run.workflowId);
        }
        if (found.length === 0) await delay(200);
      }
      await connection.close();
      expect(found).toEqual([workflowId]);
    } finally {
      await server.stop();
    }
    expect(server.pid).toBeDefined();
    expect(isProcessAlive(server.pid ?? -1)).toBe(false);
    expect(await isPortFree(port)).toBe(true);
    expect(await isPortFree(uiPort)).toBe(true);
  });

  it('keeps its data in the db file and registers search attributes added since the first start', async () => {
    const port = await getFreePort();
    const dbFile = join(dir, 'persisted', 'temporal.db');
    const first = await startTemporalDevServer({
      port,
      headless: true,
      dbFile,
      searchAttributes: { RunwayService: 'Keyword' },
    });
    let workflowId: string;
    try {
      expect(first.uiUrl).toBeUndefined();
      workflowId = await runTaggedWorkflow(first, workflowBundle, 'billing');
    } finally {
      await first.stop();
    }

    // The CLI itself ignores --search-attribute for a namespace that already exists in the db file.
    const second = await startTemporalDevServer({
      port,
      headless: true,
      dbFile,
      searchAttributes: { RunwayService: 'Keyword', RunwayVersion: 'Text', RunwayAttempt: 'Int' },
    });
    try {
      expect(await customSearchAttributes(second)).toMatchObject({
        RunwayService: 2,
        RunwayVersion: 1,
        RunwayAttempt: 3,
      });
      const connection = await Connection.connect({ address: second.address });
      try {
        const client = new Client({ connection, namespace: second.namespace });
        const description = await client.workflow.getHandle(workflowId).describe();
        expect(description.status.name).toBe('COMPLETED');
        expect(description.typedSearchAttributes.get(runwayServiceKey)).toBe('billing');
      } finally {
        await connection.close();
      }
    } finally {
      await second.stop();
    }
  });

  it('refuses a port that is already taken instead of mistaking the other server for itself', async () => {
    const { server, teardown } = await createDevServerTestEnv();
    try {
      const port = Number(server.address.split(':')[1]);
      await expect(startTemporalDevServer({ port, headless: true })).rejects.toThrow(/already in use/);
    } finally {
      await teardown();
    }
  });

  it('starts again when the server exits while starting, and reports the cause from the head of its output', async () => {
    // A stand-in for the CLI that fails its first launch the way a lost port race does, then runs the real CLI.
    const realCli = resolveTemporalCli();
    expect(realCli).toBeDefined();
    const launches = join(dir, 'launches');
    const failing = join(dir, 'launches-that-fail');
    const flaky = join(dir, 'flaky-temporal');
    await writeFile(failing, '1');
    await writeFile(
      flaky,
      [
        '#!/bin/sh',
        `echo launch >> '${launches}'`,
        `if [ "$(wc -l < '${launches}')" -le "$(cat '${failing}')" ]; then`,
        '  echo "panic: listen tcp 127.0.0.1:1: bind: address already in use"',
        '  for i in $(seq 1 60); do echo "  stack line $i"; done',
        '  exit 2',
        'fi',
        `exec '${realCli}' "$@"`,
      ].join('\n'),
      { mode: 0o755 },
    );
    const logged: string[] = [];
    const saved = process.env.TEMPORAL_CLI_PATH;
    process.env.TEMPORAL_CLI_PATH = flaky;
    try {
      const server = await startTemporalDevServer({
        port: await getFreePort(),
        headless: true,
        log: (l) => logged.push(l),
      });
      await server.stop();
      expect((await readFile(launches, 'utf8')).trim().split('\n')).toHaveLength(2);
      expect(logged).toContain(
        'Temporal dev server exited while starting (attempt 1 of 3); starting it again',
      );

      // Every launch fails: the error names the cause (first line), not only the end of the stack.
      await writeFile(launches, '');
      await writeFile(failing, '99');
      const failure = startTemporalDevServer({ port: await getFreePort(), headless: true });
      await expect(failure).rejects.toThrow(
        /exited with code 2[\s\S]*panic: listen tcp[\s\S]*… \(\d+ lines\)[\s\S]*stack line 60/,
      );
      expect((await readFile(launches, 'utf8')).trim().split('\n')).toHaveLength(3);
    } finally {
      if (saved === undefined) delete process.env.TEMPORAL_CLI_PATH;
      else process.env.TEMPORAL_CLI_PATH = saved;
    }
  });

  it('gives tests an environment on a real server with custom search attributes', async () => {
    const { env, server, teardown } = await createDevServerTestEnv({ RunwayService: 'Keyword' });
    try {
      expect(env.supportsTimeSkipping).toBe(false);
      const taskQueue = 'dev-env-check';
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle });
      const result = await worker.runUntil(
        env.client.workflow.execute(tagWithService, {
          taskQueue,
          workflowId: 'dev-env-check',
          args: ['edm-web'],
        }),
      );
      expect(result).toBe('edm-web');
    } finally {
      await teardown();
    }
    expect(isProcessAlive(server.pid ?? -1)).toBe(false);
  });
});
