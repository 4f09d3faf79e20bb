// A private certificate authority for a cluster's own transport security: the API's HTTPS
// certificate, the Temporal frontend's, and the client certificates mTLS asks of the API and the
// workers. The `openssl` command does the cryptography (OpenSSL 3: `req -x509 -CA` signs in one
// step); keys are ECDSA P-256 and readable by their owner only.
import { access, chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

export interface CertificateFiles {
  /** PEM certificate. */
  certFile: string;
  /** PEM private key, mode 600. */
  keyFile: string;
}

export interface PrivateCa extends CertificateFiles {
  dir: string;
}

/** What a leaf certificate may be presented as: a TLS server's, a TLS client's (mTLS), or both. */
export type CertificateUsage = 'server' | 'client' | 'server-and-client';

export interface CertificateRequest {
  /** The files' stem: `<name>.pem` and `<name>.key`. */
  name: string;
  commonName: string;
  usage: CertificateUsage;
  /** Host names the certificate is valid for (subjectAltName DNS entries), e.g. localhost. */
  dnsNames?: string[];
  /** Addresses it is valid for (subjectAltName IP entries), e.g. 127.0.0.1. */
  ipAddresses?: string[];
  days?: number;
  /** Where the files go; default the CA's folder. */
  dir?: string;
}

const CA_CERT = 'ca.pem';
const CA_KEY = 'ca.key';
const CA_DAYS = 3650;
const LEAF_DAYS = 365;
const OPENSSL_TIMEOUT_MS = 30_000;

// Values are written into an OpenSSL config file: anything outside these could change its meaning.
const FILE_STEM = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const COMMON_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
const DNS_NAME = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/;

const EXTENDED_KEY_USAGE: Record<CertificateUsage, string> = {
  server: 'serverAuth',
  client: 'clientAuth',
  'server-and-client': 'serverAuth,clientAuth',
};

/** The CA already in `dir`, if there is one: a launcher reuses it, so issued certificates stay trusted. */
export async function openPrivateCa(dir: string): Promise<PrivateCa | undefined> {
  const ca = caFilesIn(dir);
  const present = await Promise.all([ca.certFile, ca.keyFile].map((file) => exists(file)));
  if (present.every(Boolean)) return { dir, ...ca };
  if (present.some(Boolean))
    throw new Error(`${dir} holds only half a CA (${CA_CERT} and ${CA_KEY} go together)`);
  return undefined;
}

/** A new CA in `dir` (created, mode 700): `ca.pem` and `ca.key`. Refuses to replace one. */
export async function createPrivateCa(
  dir: string,
  options: { commonName?: string; days?: number } = {},
): Promise<PrivateCa> {
  if (await openPrivateCa(dir)) {
    // Replacing it would silently untrust every certificate it issued.
    throw new Error(`${dir} already holds a CA; use openPrivateCa, or remove ${CA_CERT} and ${CA_KEY} first`);
  }
  const commonName = checked(options.commonName ?? 'Runway private CA', COMMON_NAME, 'common name');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ca = caFilesIn(dir);
  const config = opensslConfig(commonName, [
    'basicConstraints = critical,CA:TRUE,pathlen:0',
    'keyUsage = critical,keyCertSign,cRLSign',
    'subjectKeyIdentifier = hash',
  ]);
  await runOpenssl(`create the CA in ${dir}`, ca, config, ['-days', String(options.days ?? CA_DAYS)]);
  return { dir, ...ca };
}

/** A certificate signed by `ca` for the names and usage asked: `<name>.pem` and `<name>.key`. */
export async function issueCertificate(
  ca: PrivateCa,
  request: CertificateRequest,
): Promise<CertificateFiles> {
  const name = checked(request.name, FILE_STEM, 'file name');
  const dir = request.dir ?? ca.dir;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const leaf = { certFile: join(dir, `${name}.pem`), keyFile: join(dir, `${name}.key`) };
  const config = opensslConfig(checked(request.commonName, COMMON_NAME, 'common name'), [
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature',
    `extendedKeyUsage = ${EXTENDED_KEY_USAGE[request.usage]}`,
    ...subjectAltName(request),
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid',
  ]);
  await runOpenssl(`issue ${name}`, leaf, config, [
    '-days',
    String(request.days ?? LEAF_DAYS),
    '-CA',
    ca.certFile,
    '-CAkey',
    ca.keyFile,
  ]);
  return leaf;
}

function caFilesIn(dir: string): CertificateFiles {
  return { certFile: join(dir, CA_CERT), keyFile: join(dir, CA_KEY) };
}

function subjectAltName(request: CertificateRequest): string[] {
  const names = [
    ...(request.dnsNames ?? []).map((dns) => `DNS:${checked(dns, DNS_NAME, 'DNS name')}`),
    ...(request.ipAddresses ?? []).map((ip) => {
      if (isIP(ip) === 0) throw new Error(`expected an IP address, not "${ip}"`);
      return `IP:${ip}`;
    }),
  ];
  return names.length > 0 ? [`subjectAltName = ${names.join(',')}`] : [];
}

/** A config of its own, so the machine's openssl.cnf adds no extension (its v3_ca would make a leaf a CA). */
function opensslConfig(commonName: string, extensions: string[]): string {
  return [
    '[req]',
    'distinguished_name = subject',
    'prompt = no',
    'x509_extensions = extensions',
    '[subject]',
    `CN = ${commonName}`,
    '[extensions]',
    ...extensions,
    '',
  ].join('\n');
}

async function runOpenssl(
  what: string,
  files: CertificateFiles,
  config: string,
  extraArgs: string[],
): Promise<void> {
  // The key file exists with mode 600 before openssl writes the key into it: never readable by others.
  await writeFile(files.keyFile, '', { mode: 0o600 });
  await chmod(files.keyFile, 0o600);
  const args = [
    'req',
    '-x509',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    files.keyFile,
    '-out',
    files.certFile,
    ...extraArgs,
  ];
  // A file, not stdin: Node's pipes are sockets, which openssl cannot open as /dev/stdin.
  const configDir = await mkdtemp(join(tmpdir(), 'runway-openssl-'));
  try {
    const configFile = join(configDir, 'openssl.cnf');
    await writeFile(configFile, config);
    await execa('openssl', [...args, '-config', configFile], { timeout: OPENSSL_TIMEOUT_MS });
  } catch (error) {
    // No half-made pair left behind for openPrivateCa to trip over.
    await Promise.all([files.keyFile, files.certFile].map((file) => rm(file, { force: true })));
    const { code, stderr } = error as { code?: string; stderr?: string };
    if (code === 'ENOENT') throw new Error(`cannot ${what}: no openssl command on PATH (OpenSSL 3 needed)`);
    throw new Error(`cannot ${what}: openssl said ${String(stderr ?? error).trim()}`, { cause: error });
  } finally {
    await rm(configDir, { recursive: true, force: true });
  }
}

function checked(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new Error(`expected a ${what} matching ${pattern}, not "${value}"`);
  return value;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
