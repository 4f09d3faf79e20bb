// Secrets reach Runway from the process environment or from a secrets file outside the repository
// (R-SECRETS): RUNWAY_SECRETS_FILE names it, e.g. a file a secret manager or the orchestrator mounts.
// Its variables fill the environment; a variable already set wins, so one can be overridden per run.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import { registerSecret } from '../logging/secret-values.js';

export const SECRETS_FILE_ENV = 'RUNWAY_SECRETS_FILE';

const LINE = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/;

export class SecretsFileError extends Error {
  override name = 'SecretsFileError';
}

/** Reads RUNWAY_SECRETS_FILE, if set, into `env`; returns the names it set (never the values). */
export function loadSecretsFile(projectRoot: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const file = env[SECRETS_FILE_ENV];
  if (!file) return [];
  checkLocation(file, projectRoot);
  const set: string[] = [];
  for (const [name, value] of parseSecrets(readFileSync(file, 'utf8'), file)) {
    registerSecret(value);
    if (env[name] !== undefined) continue;
    env[name] = value;
    set.push(name);
  }
  return set;
}

function checkLocation(file: string, projectRoot: string): void {
  if (!isAbsolute(file)) throw new SecretsFileError(`${SECRETS_FILE_ENV} must be an absolute path: ${file}`);
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    throw new SecretsFileError(`${SECRETS_FILE_ENV} names ${file}, which cannot be read`);
  }
  const inside = relative(realpathSync(projectRoot), real);
  // `..secrets.env` is a file inside the folder whose name merely starts with two dots.
  const outside = inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside);
  if (!outside) {
    throw new SecretsFileError(
      `${file} is inside the project folder, where it could be committed: keep secrets outside the repository`,
    );
  }
  // Like ssh with a private key: a file others can read is a leak already.
  if ((statSync(real).mode & 0o077) !== 0) {
    throw new SecretsFileError(`${file} is readable by other users: chmod 600 ${file}`);
  }
}

/** NAME=value lines; # comments and blank lines are skipped; one pair of quotes around a value is removed. */
export function parseSecrets(text: string, file: string): Map<string, string> {
  const secrets = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = LINE.exec(line);
    // The line is not quoted back: it may hold a secret.
    if (!match?.[1]) throw new SecretsFileError(`${file}:${index + 1}: expected NAME=value`);
    secrets.set(match[1], unquote(match[2] ?? ''));
  });
  return secrets;
}

function unquote(value: string): string {
  const quoted = /^(["'])(.*)\1$/.exec(value);
  return quoted ? (quoted[2] ?? '') : value;
}
