// The app on a real socket: serveApi resolves once listening and closes cleanly.
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningApi, serveApi } from '../../api/serve-api.js';
import { createTestApp } from './api-test-app.js';

let running: RunningApi | undefined;

afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe('serveApi', () => {
  it('listens on a free port on 127.0.0.1 and answers over HTTP', async () => {
    const { app } = await createTestApp();
    running = await serveApi(app, 0);
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${running.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it('stops answering once closed', async () => {
    const { app } = await createTestApp();
    const server = await serveApi(app, 0);
    await server.close();
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });

  it('rejects when the port is taken', async () => {
    const { app } = await createTestApp();
    running = await serveApi(app, 0);
    const port = Number(new URL(running.url).port);
    await expect(serveApi(app, port)).rejects.toThrow(/EADDRINUSE/);
  });
});
