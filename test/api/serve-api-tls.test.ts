// The app over HTTPS, with a certificate from a private CA: TLS 1.3 to a client that trusts the CA,
// nothing to a client that stops at TLS 1.2 or does not trust it.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConnectionOptions, connect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, serveApi } from '../../api/serve-api.js';
import { createPrivateCa, issueCertificate } from '../../stack/private-ca.js';
import { createTestApp } from './api-test-app.js';

let dir: string;
let caPem: Buffer;
let running: RunningApi;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runway-api-tls-'));
  const ca = await createPrivateCa(dir);
  const server = await issueCertificate(ca, {
    name: 'api',
    commonName: 'runway-api',
    usage: 'server',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  caPem = await readFile(ca.certFile);
  const { app } = await createTestApp();
  running = await serveApi(app, 0, {
    tls: { cert: await readFile(server.certFile), key: await readFile(server.keyFile) },
  });
});

afterAll(async () => {
  await running?.close();
  await rm(dir, { recursive: true, force: true });
});

const endpoint = () => new URL(running.url);

/** GET path over HTTPS: the status, the body and the protocol the handshake settled on. */
function httpsGet(path: string, ca?: Buffer) {
  return new Promise<{ status: number; body: string; protocol: string | null }>((resolve, reject) => {
    const request = get(new URL(path, running.url), { ...(ca ? { ca } : {}), agent: false }, (response) => {
      const protocol = (response.socket as TLSSocket).getProtocol();
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, protocol }));
    });
    request.on('error', reject);
  });
}

/** A bare TLS handshake with the API: the protocol agreed on, or the error that ended it. */
function handshake(options: ConnectionOptions) {
  return new Promise<string | null>((resolve, reject) => {
    const socket = connect({ host: endpoint().hostname, port: Number(endpoint().port), ...options }, () => {
      resolve(socket.getProtocol());
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe('serveApi with a certificate', () => {
  it('names an https URL and answers a client that trusts the CA, over TLS 1.3', async () => {
    expect(running.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const answer = await httpsGet('/healthz', caPem);
    expect(answer).toEqual({ status: 200, body: '{"ok":true}', protocol: 'TLSv1.3' });
  });

  it('refuses a client that offers at most TLS 1.2', async () => {
    await expect(handshake({ ca: caPem, maxVersion: 'TLSv1.2' })).rejects.toMatchObject({
      code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
    });
    // The same client with TLS 1.3 allowed gets through: the version was the only obstacle.
    expect(await handshake({ ca: caPem })).toBe('TLSv1.3');
  });

  it('is not trusted by a client without the CA', async () => {
    await expect(httpsGet('/healthz')).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });
});
