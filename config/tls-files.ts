// Certificates and keys are read once, when a process starts: a file that is missing, unreadable or
// not PEM stops the start with the setting that names it, instead of a TLS failure later on.
import { readFileSync } from 'node:fs';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'a folder, not a file',
};

export class TlsFileError extends Error {
  override name = 'TlsFileError';
}

/**
 * The PEM text of `path`. `setting` is where runway.yml names it (temporal.tls.caFile), `envName`
 * the variable that can name it instead: the message names both, as either may have named it.
 */
export function readPemFile(setting: string, envName: string, path: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new TlsFileError(`${setting} (or ${envName}): cannot read ${path}: ${REASONS[code] ?? code}`);
  }
  if (!pem.includes('-----BEGIN ')) {
    throw new TlsFileError(`${setting} (or ${envName}): ${path} is not a PEM file (no -----BEGIN line)`);
  }
  return pem;
}
