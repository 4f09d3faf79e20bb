// The TLS settings: where runway.yml's and the environment's certificate paths lead, which wins,
// and what a process gets to connect with — or the one error that names the setting at fault.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertingSettingsFrom } from '../../alerts/alert-message.js';
import { apiTlsCredentials } from '../../config/api-tls.js';
import { ConfigError } from '../../config/config-error.js';
import type { RunwayConfig } from '../../config/config-schema.js';
import { applyEnvironmentOverrides } from '../../config/environment-overrides.js';
import { DEFAULT_CONFIG_DIR, loadConfig } from '../../config/load-config.js';
import { temporalConnectionOptions } from '../../config/temporal-connection.js';
import { TlsFileError } from '../../config/tls-files.js';
import {
  type CertificateFiles,
  createPrivateCa,
  issueCertificate,
  type PrivateCa,
} from '../../stack/private-ca.js';

let dir: string;
let configDir: string;
let ca: PrivateCa;
let client: CertificateFiles;
let server: CertificateFiles;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runway-tls-settings-'));
  configDir = join(dir, 'config');
  await cp(DEFAULT_CONFIG_DIR, configDir, { recursive: true, filter: (source) => !source.endsWith('.ts') });
  // The certificates sit in the configuration folder, as runway.yml's relative paths would have them.
  ca = await createPrivateCa(join(configDir, 'certs'));
  client = await issueCertificate(ca, { name: 'worker', commonName: 'runway-worker', usage: 'client' });
  server = await issueCertificate(ca, {
    name: 'api',
    commonName: 'runway-api',
    usage: 'server',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The shipped configuration with `yaml` appended to runway.yml's `section:` block. */
async function configWith(section: 'api' | 'temporal', yaml: string): Promise<RunwayConfig> {
  const file = join(configDir, 'runway.yml');
  const original = await readFile(file, 'utf8');
  try {
    await writeFile(file, original.replace(new RegExp(`^${section}:\\n`, 'm'), `${section}:\n${yaml}`));
    return await loadConfig(configDir);
  } finally {
    await writeFile(file, original);
  }
}

const TEMPORAL_TLS = `  tls:
    caFile: certs/ca.pem
    certFile: certs/worker.pem
    keyFile: certs/worker.key
`;

describe('temporal.tls', () => {
  it('is off unless configured: the address alone, plain gRPC', async () => {
    const config = await loadConfig(configDir);
    expect(temporalConnectionOptions(config.settings)).toStrictEqual({ address: 'localhost:7233' });
  });

  it('takes relative paths from the configuration folder and reads the files at once', async () => {
    const config = await configWith('temporal', TEMPORAL_TLS);
    expect(config.settings.temporal.tls).toEqual({
      caFile: ca.certFile,
      certFile: client.certFile,
      keyFile: client.keyFile,
    });
    const options = temporalConnectionOptions(config.settings);
    expect(options.address).toBe('localhost:7233');
    expect(options.tls).toStrictEqual({
      serverRootCACertificate: await readFile(ca.certFile),
      clientCertPair: { crt: await readFile(client.certFile), key: await readFile(client.keyFile) },
    });
  });

  it('passes serverName on as the name the server certificate is checked against', async () => {
    const config = await configWith('temporal', `${TEMPORAL_TLS}    serverName: temporal.internal\n`);
    expect(temporalConnectionOptions(config.settings).tls?.serverNameOverride).toBe('temporal.internal');
  });

  it('refuses unknown keys and a missing key file', async () => {
    const error = await configWith('temporal', `${TEMPORAL_TLS}    caPath: x\n`).catch((caught) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/temporal\.tls: Unrecognized key: "caPath"/);
    const incomplete = await configWith('temporal', '  tls: { caFile: certs/ca.pem }\n').catch((e) => e);
    expect(incomplete.message).toMatch(/temporal\.tls\.certFile/);
  });

  it('lets the environment override each setting; its relative paths are from the working folder', async () => {
    const config = applyEnvironmentOverrides(await configWith('temporal', TEMPORAL_TLS), {
      RUNWAY_TEMPORAL_TLS_CA_FILE: relative(process.cwd(), server.certFile),
      RUNWAY_TEMPORAL_TLS_SERVER_NAME: 'frontend.temporal',
    });
    expect(config.settings.temporal.tls).toEqual({
      caFile: server.certFile,
      certFile: client.certFile,
      keyFile: client.keyFile,
      serverName: 'frontend.temporal',
    });
  });

  it('takes all of it from the environment when runway.yml has none', async () => {
    const config = applyEnvironmentOverrides(await loadConfig(configDir), {
      RUNWAY_TEMPORAL_TLS_CA_FILE: ca.certFile,
      RUNWAY_TEMPORAL_TLS_CERT_FILE: client.certFile,
      RUNWAY_TEMPORAL_TLS_KEY_FILE: client.keyFile,
    });
    expect(temporalConnectionOptions(config.settings).tls?.clientCertPair?.key).toEqual(
      await readFile(client.keyFile),
    );
  });

  it('refuses variables that leave it incomplete, naming the ones missing', async () => {
    const config = await loadConfig(configDir);
    expect(() => applyEnvironmentOverrides(config, { RUNWAY_TEMPORAL_TLS_CA_FILE: ca.certFile })).toThrow(
      'RUNWAY_TEMPORAL_TLS_CA_FILE set, but temporal.tls has no certFile, keyFile: set ' +
        'RUNWAY_TEMPORAL_TLS_CERT_FILE, RUNWAY_TEMPORAL_TLS_KEY_FILE too, or temporal.tls in runway.yml',
    );
    expect(() => applyEnvironmentOverrides(config, { RUNWAY_TEMPORAL_TLS_SERVER_NAME: 'x' })).toThrow(
      /temporal\.tls has no caFile, certFile, keyFile/,
    );
  });

  it('stops at a missing or unreadable file with one error naming the setting and the path', async () => {
    const config = applyEnvironmentOverrides(await configWith('temporal', TEMPORAL_TLS), {
      RUNWAY_TEMPORAL_TLS_KEY_FILE: join(dir, 'gone.key'),
    });
    expect(() => temporalConnectionOptions(config.settings)).toThrow(
      new TlsFileError(
        `temporal.tls.keyFile (or RUNWAY_TEMPORAL_TLS_KEY_FILE): cannot read ${join(dir, 'gone.key')}: no such file`,
      ),
    );
    config.settings.temporal.tls = { ...client, caFile: dir };
    expect(() => temporalConnectionOptions(config.settings)).toThrow(
      `temporal.tls.caFile (or RUNWAY_TEMPORAL_TLS_CA_FILE): cannot read ${dir}: a folder, not a file`,
    );
    config.settings.temporal.tls = { ...client, caFile: join(configDir, 'runway.yml') };
    expect(() => temporalConnectionOptions(config.settings)).toThrow(/runway\.yml is not a PEM file/);
  });
});

describe('api.tls', () => {
  it('is off unless configured', async () => {
    expect(apiTlsCredentials((await loadConfig(configDir)).settings)).toBeUndefined();
  });

  it('reads the certificate and key, runway.yml paths from its folder', async () => {
    const config = await configWith('api', '  tls: { certFile: certs/api.pem, keyFile: certs/api.key }\n');
    expect(config.settings.api.tls).toEqual(server);
    expect(apiTlsCredentials(config.settings)).toEqual({
      cert: await readFile(server.certFile),
      key: await readFile(server.keyFile),
    });
    // Alerts link to the API as it is served, unless api.publicUrl says otherwise.
    expect(alertingSettingsFrom(config, {}).apiBaseUrl).toBe('https://localhost:3001');
  });

  it('lets the environment set or override them, both or with runway.yml', async () => {
    const fromEnv = applyEnvironmentOverrides(await loadConfig(configDir), {
      RUNWAY_API_TLS_CERT_FILE: server.certFile,
      RUNWAY_API_TLS_KEY_FILE: server.keyFile,
    });
    expect(fromEnv.settings.api.tls).toEqual(server);
    const overridden = applyEnvironmentOverrides(
      await configWith('api', '  tls: { certFile: certs/api.pem, keyFile: certs/api.key }\n'),
      { RUNWAY_API_TLS_KEY_FILE: client.keyFile },
    );
    expect(overridden.settings.api.tls).toEqual({ certFile: server.certFile, keyFile: client.keyFile });
    const plain = await loadConfig(configDir);
    expect(() => applyEnvironmentOverrides(plain, { RUNWAY_API_TLS_CERT_FILE: server.certFile })).toThrow(
      'RUNWAY_API_TLS_CERT_FILE set, but api.tls has no keyFile: set RUNWAY_API_TLS_KEY_FILE too',
    );
  });

  it('names the setting and the path of a file it cannot read', async () => {
    const config = await loadConfig(configDir);
    config.settings.api.tls = { certFile: join(dir, 'none.pem'), keyFile: server.keyFile };
    expect(() => apiTlsCredentials(config.settings)).toThrow(
      `api.tls.certFile (or RUNWAY_API_TLS_CERT_FILE): cannot read ${join(dir, 'none.pem')}: no such file`,
    );
  });
});
