// runway login: keeps the server's URL and a token in the profile (mode 600) for later commands.
// The token comes from stdin or a prompt that does not show it; never from an argument.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ApiError, createApiClient } from '../api-client.js';
import { CliError } from '../cli-error.js';
import { action, type CommandContext, readCaFile, withCommonOptions } from '../command-context.js';
import { NO_SERVER, normaliseServerUrl } from '../connection-settings.js';
import { EXIT } from '../exit-codes.js';
import { profilePath, writeProfile } from '../profile-file.js';
import { readAllStdin, readHidden } from '../prompt.js';

async function readToken(tokenFile: string | undefined): Promise<string> {
  if (tokenFile) {
    try {
      return readFileSync(tokenFile, 'utf8').trim();
    } catch (error) {
      throw new CliError(
        `cannot read the token file given by --token-file: ${(error as NodeJS.ErrnoException).code}`,
      );
    }
  }
  if (process.stdin.isTTY) return (await readHidden('token (not shown): ')).trim();
  return (await readAllStdin()).trim();
}

async function login(context: CommandContext) {
  const { options, out } = context;
  const given = options.url ?? process.env.RUNWAY_URL;
  if (!given) throw new CliError(NO_SERVER);
  const url = normaliseServerUrl(given);
  const caFile = options.caFile ? resolve(options.caFile) : undefined;
  const token = await readToken(options.tokenFile);
  if (!token) throw new CliError('no token given: type it at the prompt or pipe it to stdin (nothing saved)');
  // One read proves the token names an identity there before it is kept.
  const client = createApiClient({ url, token, ...(caFile ? { ca: readCaFile(caFile) } : {}) });
  try {
    await client.get('/releases', { limit: 1 });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      throw new CliError(`${error.message} — ${url} does not accept this token (nothing saved)`);
    }
    // 403: a known identity without read anywhere; it is still theirs to keep.
    if (!(error instanceof ApiError && error.status === 403)) throw error;
  }
  const path = profilePath(process.env);
  writeProfile(path, { url, token, ...(caFile ? { caFile } : {}) });
  if (out.json) out.printJson({ profile: path, url });
  else out.print(`saved ${path} (mode 600): runway talks to ${url} with this token`);
  return EXIT.ok;
}

export function registerLoginCommand(program: Command): void {
  withCommonOptions(
    program
      .command('login')
      .description('keep the server URL and your token in the profile (mode 600) for later commands'),
  )
    .addHelpText(
      'after',
      `
The token is read from stdin, or typed at a prompt that does not show it; never from an argument.
The profile is $RUNWAY_PROFILE, else ~/.config/runway/profile.json.

Examples:
  runway login --url https://runway.example.com
  pass show runway/token | runway login --url https://runway.example.com --ca-file ca.pem`,
    )
    .action(action(async (context) => login(context)));
}
