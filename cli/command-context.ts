// What every command gets from the global options: where its output goes and, once it needs one,
// a client of the API resolved from flags, environment and profile (connection-settings.ts).
import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { type ApiClient, createApiClient } from './api-client.js';
import { CliError } from './cli-error.js';
import { type ConnectionSettings, resolveConnection } from './connection-settings.js';
import type { ExitCode } from './exit-codes.js';
import { createOutput, type Output } from './output.js';
import { profilePath, readProfile } from './profile-file.js';

/**
 * The options every command takes. They are declared on each command, not on the program, so
 * that `runway deploy --version 1.2.3` is deploy's option and never the program's own --version.
 * --token is declared only to be refused with a clear message (see refuseTokenArgument).
 */
export function withCommonOptions(command: Command): Command {
  return command
    .option(
      '--url <url>',
      "the server's root URL, e.g. http://localhost:3001 (else RUNWAY_URL, else the profile)",
    )
    .option(
      '--token-file <path>',
      'a file holding the token (else RUNWAY_TOKEN, RUNWAY_TOKEN_FILE, the profile)',
    )
    .option('--ca-file <path>', 'a PEM file with the CA of a server that has its own (else RUNWAY_CA_FILE)')
    .option('--json', 'print JSON for scripts instead of text')
    .addOption(new Option('--token <token>').hideHelp());
}

export const TOKEN_ARGUMENT_REFUSED =
  'a token is never taken as an argument (every user of the machine can read arguments with ps): use --token-file, RUNWAY_TOKEN or runway login';

/** Run before every command: a token given as an argument stops it before anything is sent. */
export function refuseTokenArgument(command: Command): void {
  if (command.opts().token !== undefined) throw new CliError(TOKEN_ARGUMENT_REFUSED);
}

export interface GlobalOptions {
  url?: string;
  tokenFile?: string;
  caFile?: string;
  json?: boolean;
}

export interface CommandContext {
  out: Output;
  options: GlobalOptions;
  /** The API client; resolving it is where a missing URL or token is reported. */
  client(): ApiClient;
}

export function readCaFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read the CA file ${path}: ${(error as NodeJS.ErrnoException).code}`);
  }
}

export function connectionFor(options: GlobalOptions, env: NodeJS.ProcessEnv): ConnectionSettings {
  const needsProfile =
    !(options.url ?? env.RUNWAY_URL) || !(options.tokenFile ?? env.RUNWAY_TOKEN ?? env.RUNWAY_TOKEN_FILE);
  const profile = needsProfile ? readProfile(profilePath(env)) : undefined;
  return resolveConnection(options, env, profile, (path) => readFileSync(path, 'utf8'));
}

export function contextOf(command: Command, env: NodeJS.ProcessEnv = process.env): CommandContext {
  const options = command.opts<GlobalOptions>();
  let client: ApiClient | undefined;
  return {
    out: createOutput({ json: options.json === true, env }),
    options,
    client() {
      if (client) return client;
      const settings = connectionFor(options, env);
      client = createApiClient({
        url: settings.url,
        token: settings.token,
        ...(settings.caFile ? { ca: readCaFile(settings.caFile) } : {}),
      });
      return client;
    },
  };
}

/**
 * Wraps a command's work: its `this` is the command (for the global options), and what it returns
 * is the exit code (none: 0). Errors reach main, which prints them as one line.
 */
export function action<A extends unknown[]>(
  work: (context: CommandContext, ...args: A) => Promise<ExitCode | undefined>,
) {
  return async function (this: Command, ...args: A): Promise<void> {
    const code = await work(contextOf(this), ...args);
    if (code !== undefined) process.exitCode = code;
  };
}
