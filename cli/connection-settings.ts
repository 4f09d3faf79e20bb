// Where the runway command finds the server and the token: flags first (--url, --token-file), then
// the environment (RUNWAY_URL, RUNWAY_TOKEN or RUNWAY_TOKEN_FILE), then the profile `runway login`
// wrote. A token is never taken as an argument: every user on the machine sees arguments in ps.
import { CliError } from './cli-error.js';
import type { Profile } from './profile-file.js';

export interface ConnectionFlags {
  url?: string;
  tokenFile?: string;
  caFile?: string;
}

export interface ConnectionSettings {
  /** The server's root URL, e.g. http://localhost:3001 (no /api/v1, no trailing slash). */
  url: string;
  token: string;
  caFile?: string;
}

export const NO_SERVER =
  'no server to talk to: pass --url, set RUNWAY_URL, or run runway login (see runway --help)';
export const NO_TOKEN =
  'no token: pass --token-file, set RUNWAY_TOKEN or RUNWAY_TOKEN_FILE, or run runway login';

/** The root URL as the API is reached: http(s) only; a trailing /api/v1 or slash is dropped. */
export function normaliseServerUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new CliError(`expected the server's URL, such as http://localhost:3001, not "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`expected an http or https URL for the server, not ${url.protocol}`);
  }
  if (url.username || url.password) throw new CliError('the server URL must not carry a user or password');
  const path = url.pathname.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
  return `${url.origin}${path}`;
}

function readToken(readFile: (path: string) => string, path: string, where: string): string {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    // Only the code: the message would echo the argument, which might be a token given by mistake.
    throw new CliError(
      `cannot read the token file given by ${where}: ${(error as NodeJS.ErrnoException).code}`,
    );
  }
  const token = text.trim();
  if (!token) throw new CliError(`the token file given by ${where} is empty`);
  return token;
}

/**
 * Resolves the URL, the token and the CA file. The profile's token goes only to the profile's
 * server: a --url or RUNWAY_URL naming another server needs its own token.
 */
export function resolveConnection(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv,
  profile: Profile | undefined,
  readFile: (path: string) => string,
): ConnectionSettings {
  const givenUrl = flags.url ?? env.RUNWAY_URL;
  const url = givenUrl ? normaliseServerUrl(givenUrl) : profile ? normaliseServerUrl(profile.url) : undefined;
  if (!url) throw new CliError(NO_SERVER);
  let token: string | undefined;
  if (flags.tokenFile) token = readToken(readFile, flags.tokenFile, '--token-file');
  else if (env.RUNWAY_TOKEN?.trim()) token = env.RUNWAY_TOKEN.trim();
  else if (env.RUNWAY_TOKEN_FILE) token = readToken(readFile, env.RUNWAY_TOKEN_FILE, 'RUNWAY_TOKEN_FILE');
  else if (profile) {
    if (normaliseServerUrl(profile.url) !== url) {
      throw new CliError(
        `the profile's token is for ${normaliseServerUrl(profile.url)}, not ${url}: pass --token-file or set RUNWAY_TOKEN`,
      );
    }
    token = profile.token;
  }
  if (!token) throw new CliError(NO_TOKEN);
  const profileCa = profile && normaliseServerUrl(profile.url) === url ? profile.caFile : undefined;
  const caFile = flags.caFile ?? env.RUNWAY_CA_FILE ?? profileCa;
  return { url, token, ...(caFile ? { caFile } : {}) };
}
