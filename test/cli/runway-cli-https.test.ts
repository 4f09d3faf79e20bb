// The real `runway` bin against the API over HTTPS with a certificate from a private CA: --ca-file
// gets it through, and without it the command says in one line what to do.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApi, serveApi } from '../../api/serve-api.js';
import { createPrivateCa, issueCertificate, type PrivateCa } from '../../stack/private-ca.js';
import { createTestApp, TOKENS } from '../api/api-test-app.js';
import { cliHome, runRunway } from './runway-cli.js';

let dir: string;
let ca: PrivateCa;
let home: Awaited<ReturnType<typeof cliHome>>;
let running: RunningApi;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runway-cli-https-'));
  ca = await createPrivateCa(dir);
  const server = await issueCertificate(ca, {
    name: 'api',
    commonName: 'runway-api',
    usage: 'server',
    ipAddresses: ['127.0.0.1'],
  });
  home = await cliHome();
  const { app } = await createTestApp();
  running = await serveApi(app, 0, {
    tls: { cert: await readFile(server.certFile), key: await readFile(server.keyFile) },
  });
});

afterAll(async () => {
  await running?.close();
  await home?.remove();
  await rm(dir, { recursive: true, force: true });
});

const calendar = (extraArgs: string[]) =>
  runRunway(['calendar', '--env', 'production', '--days', '1', '--json', ...extraArgs], home.home, {
    env: {
      RUNWAY_URL: running.url,
      RUNWAY_TOKEN: TOKENS.opsWang,
      RUNWAY_PROFILE: join(home.home, 'no-profile.json'),
    },
  });

describe('runway over HTTPS', () => {
  it('reaches the API with --ca-file naming its CA', async () => {
    const run = await calendar(['--ca-file', ca.certFile]);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ environment: 'production' });
  });

  it('fails with one line saying what to do without it', async () => {
    const run = await calendar([]);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toBe('');
    // One line (execa drops the trailing newline).
    expect(run.stderr.split('\n')).toEqual([
      `runway: cannot reach ${running.url}: its certificate is not signed by a CA this machine trusts ` +
        `(UNABLE_TO_VERIFY_LEAF_SIGNATURE): pass --ca-file with the server's CA, or set RUNWAY_CA_FILE`,
    ]);
  });
});
