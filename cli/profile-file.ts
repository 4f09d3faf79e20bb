// The profile `runway login` writes: the server's URL, the token and an optional CA file, readable
// by its owner only (mode 600, in a folder of mode 700), like an SSH key.
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError } from './cli-error.js';

export interface Profile {
  url: string;
  token: string;
  caFile?: string;
}

/** $RUNWAY_PROFILE, else runway/profile.json under $XDG_CONFIG_HOME (~/.config). */
export function profilePath(env: NodeJS.ProcessEnv): string {
  if (env.RUNWAY_PROFILE) return env.RUNWAY_PROFILE;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'runway', 'profile.json');
}

function isProfile(value: unknown): value is Profile {
  if (typeof value !== 'object' || value === null) return false;
  const { url, token, caFile } = value as Record<string, unknown>;
  return (
    typeof url === 'string' &&
    typeof token === 'string' &&
    (caFile === undefined || typeof caFile === 'string')
  );
}

/** The profile at `path`; undefined when there is none. A profile others can read is refused. */
export function readProfile(path: string): Profile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read the profile ${path}: ${(error as NodeJS.ErrnoException).code}`);
  }
  const mode = statSync(path).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new CliError(
      `the profile ${path} holds a token and others may read it (mode ${mode.toString(8)}): chmod 600 ${path}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CliError(`the profile ${path} is not JSON: run runway login again`);
  }
  if (!isProfile(value)) throw new CliError(`the profile ${path} lacks url or token: run runway login again`);
  return value;
}

/** Written whole (a temporary file renamed over it), never readable by anyone but its owner. */
export function writeProfile(path: string, profile: Profile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600 });
  // The mode given to writeFileSync is filtered by the umask; the file must be 600 whatever it is.
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}
