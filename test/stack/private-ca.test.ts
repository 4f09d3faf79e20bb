// The private CA with the real openssl: what it issues chains to it and to no other CA, carries the
// names and usage asked, and its keys are readable by their owner only.

import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrivateCa, issueCertificate, openPrivateCa, type PrivateCa } from '../../stack/private-ca.js';

let dir: string;
let ca: PrivateCa;
let otherCa: PrivateCa;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runway-private-ca-'));
  ca = await createPrivateCa(join(dir, 'ca'));
  otherCa = await createPrivateCa(join(dir, 'other-ca'), { commonName: 'Someone else' });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function verify(caFile: string, certFile: string, purpose?: string) {
  const purposeArgs = purpose ? ['-purpose', purpose] : [];
  return execa('openssl', ['verify', '-CAfile', caFile, ...purposeArgs, certFile], { reject: false });
}

const certificate = async (file: string) => new X509Certificate(await readFile(file));
const mode = async (file: string) => (await stat(file)).mode & 0o777;

describe('the private CA', () => {
  it('is a self-signed CA certificate with a key only its owner reads', async () => {
    const cert = await certificate(ca.certFile);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('CN=Runway private CA');
    expect(cert.checkIssued(cert)).toBe(true);
    expect(await mode(ca.keyFile)).toBe(0o600);
    expect(await mode(ca.dir)).toBe(0o700);
  });

  it('issues a server certificate that verifies against it and not against another CA', async () => {
    const started = performance.now();
    const server = await issueCertificate(ca, {
      name: 'api',
      commonName: 'runway-api',
      usage: 'server',
      dnsNames: ['localhost', 'runway.internal'],
      ipAddresses: ['127.0.0.1', '::1'],
    });
    const issueMs = performance.now() - started;
    expect(server).toEqual({ certFile: join(ca.dir, 'api.pem'), keyFile: join(ca.dir, 'api.key') });

    const ok = await verify(ca.certFile, server.certFile, 'sslserver');
    expect(ok.stdout).toBe(`${server.certFile}: OK`);
    expect(ok.exitCode).toBe(0);
    const foreign = await verify(otherCa.certFile, server.certFile);
    expect(foreign.exitCode).not.toBe(0);
    expect(foreign.stderr).toMatch(/unable to get local issuer certificate/);
    // A server certificate is not a client's.
    expect((await verify(ca.certFile, server.certFile, 'sslclient')).exitCode).not.toBe(0);

    const cert = await certificate(server.certFile);
    expect(cert.ca).toBe(false);
    expect(cert.subject).toBe('CN=runway-api');
    expect(cert.subjectAltName).toBe(
      'DNS:localhost, DNS:runway.internal, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(await mode(server.keyFile)).toBe(0o600);
    // Generous for a loaded machine; openssl itself takes about 10 ms.
    expect(issueMs).toBeLessThan(1_000);
  });

  it('issues client and dual-use certificates into another folder', async () => {
    const clients = join(dir, 'clients');
    const client = await issueCertificate(ca, {
      name: 'worker',
      commonName: 'runway-worker',
      usage: 'client',
      dir: clients,
    });
    expect(client.certFile).toBe(join(clients, 'worker.pem'));
    expect((await verify(ca.certFile, client.certFile, 'sslclient')).exitCode).toBe(0);
    expect((await verify(ca.certFile, client.certFile, 'sslserver')).exitCode).not.toBe(0);
    expect((await certificate(client.certFile)).subjectAltName).toBeUndefined();
    expect(await mode(client.keyFile)).toBe(0o600);

    const both = await issueCertificate(ca, {
      name: 'temporal-frontend',
      commonName: 'temporal-frontend',
      usage: 'server-and-client',
      dnsNames: ['localhost'],
    });
    expect((await verify(ca.certFile, both.certFile, 'sslserver')).exitCode).toBe(0);
    expect((await verify(ca.certFile, both.certFile, 'sslclient')).exitCode).toBe(0);
  });

  it('is found again in its folder, and never replaced', async () => {
    expect(await openPrivateCa(ca.dir)).toEqual(ca);
    expect(await openPrivateCa(join(dir, 'nothing-here'))).toBeUndefined();
    await expect(createPrivateCa(ca.dir)).rejects.toThrow(/already holds a CA/);
  });

  it('refuses names that are not plain names before running openssl', async () => {
    const request = { name: 'x', commonName: 'x', usage: 'server' as const };
    await expect(issueCertificate(ca, { ...request, name: '../escape' })).rejects.toThrow(/file name/);
    await expect(issueCertificate(ca, { ...request, commonName: 'a\nCN = b' })).rejects.toThrow(
      /common name/,
    );
    await expect(issueCertificate(ca, { ...request, dnsNames: ['bad name'] })).rejects.toThrow(/DNS name/);
    await expect(issueCertificate(ca, { ...request, ipAddresses: ['300.1.1.1'] })).rejects.toThrow(
      /IP address/,
    );
  });
});
