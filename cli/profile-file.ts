// The profile `runway login` writes: the server's URL, the token and an optional CA file, readable
// by its owner only (mode 600), like an SSH key, in a folder nobody else may write to.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/**
 * The profile's folder, created with mode 700 when missing. One that another user owns, or that its
 * group or others may write to, is refused: whoever can write there can swap the profile (and so
 * the server the token goes to).
 */
function prepareProfileFolder(path: string): void {
  const folder = dirname(path);
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new CliError(
      `cannot create the profile's folder ${folder}: ${(error as NodeJS.ErrnoException).code}`,
    );
  }
  if (process.platform === 'win32') return;
  const { mode, uid } = statSync(folder);
  const fix = `or set RUNWAY_PROFILE to a file in a folder of yours (nothing saved)`;
  if ((mode & 0o022) !== 0) {
    const octal = (mode & 0o777).toString(8);
    throw new CliError(
      `the profile's folder ${folder} may be written by others (mode ${octal}): chmod go-w ${folder}, ${fix}`,
    );
  }
  const me = process.getuid?.();
  if (me !== undefined && uid !== me && uid !== 0) {
    throw new CliError(`the profile's folder ${folder} belongs to another user: ${fix}`);
  }
}

/** Written whole (a new temporary file renamed over it), never readable by anyone but its owner. */
export function writeProfile(path: string, profile: Profile): void {
  prepareProfileFolder(path);
  // A name nobody can guess, created only when nothing is there ('wx'): never a file or link planted there.
  const temporary = `${path}.${randomBytes(8).toString('hex')}.tmp`;
  let created = false;
  try {
    writeFileSync(temporary, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    created = true;
    // The mode given to writeFileSync is filtered by the umask; the file must be 600 whatever it is.
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
  } catch (error) {
    if (created) rmSync(temporary, { force: true });
    throw new CliError(`cannot write the profile ${path}: ${(error as NodeJS.ErrnoException).code}`);
  }
}
