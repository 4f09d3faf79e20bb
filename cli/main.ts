// The runway command: Runway's releases from a terminal or a script, over its HTTP API.
// cli/runway.mjs (the package's bin) loads this through tsx, so no build step is needed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { projectRoot } from '../config/project-root.js';
import { CliError } from './cli-error.js';
import { refuseTokenArgument } from './command-context.js';
import { registerAuditCommand } from './commands/audit-command.js';
import { registerCalendarCommand } from './commands/calendar-command.js';
import { registerDeployCommand } from './commands/deploy-command.js';
import { registerGateCommands } from './commands/gate-commands.js';
import { registerHealthCheckCommand } from './commands/health-check-command.js';
import { registerLoginCommand } from './commands/login-command.js';
import { registerMetricsCommand } from './commands/metrics-command.js';
import { registerOrderCommands } from './commands/order-commands.js';
import { registerReleaseListCommands } from './commands/release-list-commands.js';
import { registerWatchCommand } from './commands/watch-command.js';
import { EXIT, EXIT_CODES_HELP } from './exit-codes.js';
import { printable } from './output.js';

const { version } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
  version: string;
};

const SETTINGS_HELP = `
Where the server and the token come from, first found wins:
  1. --url and --token-file
  2. RUNWAY_URL, and RUNWAY_TOKEN or RUNWAY_TOKEN_FILE
  3. the profile runway login wrote ($RUNWAY_PROFILE, else ~/.config/runway/profile.json)
A token is never taken as an argument. --ca-file (or RUNWAY_CA_FILE) trusts a server's own CA.
Colour only on a terminal, and never with NO_COLOR set. Every command takes --json.

${EXIT_CODES_HELP}

docs/cli.md has every command with an example.`;

export function createProgram(): Command {
  const program = new Command('runway')
    .description('Start, follow and decide Runway releases over its HTTP API')
    .version(version, '-V, --version', 'print the version of runway')
    // Options belong to the command they follow: `deploy --version` is deploy's, not the program's.
    .enablePositionalOptions()
    .showHelpAfterError('(runway <command> --help shows its usage)')
    // Usage errors read like every other error: one line, prefixed with the command's name.
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'runway: ')) })
    .addHelpText('after', SETTINGS_HELP);
  registerDeployCommand(program);
  registerWatchCommand(program);
  registerReleaseListCommands(program);
  registerGateCommands(program);
  registerOrderCommands(program);
  registerCalendarCommand(program);
  registerAuditCommand(program);
  registerMetricsCommand(program);
  registerHealthCheckCommand(program);
  registerLoginCommand(program);
  program.hook('preAction', (_program, command) => refuseTokenArgument(command));
  return program;
}

/** Runs the command line; every error a user can act on ends as one line on stderr. */
export async function runCli(argv: string[]): Promise<void> {
  try {
    await createProgram().parseAsync(argv);
  } catch (error) {
    const known = error instanceof CliError;
    const message = error instanceof Error ? error.message : String(error);
    // One line, printed as it is: a message may quote what the server answered.
    process.stderr.write(`runway: ${printable(known ? message : `unexpected error: ${message}`)}\n`);
    process.exitCode = known ? error.exitCode : EXIT.error;
  }
}

await runCli(process.argv);
