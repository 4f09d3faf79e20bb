// Orders about a whole release: roll it back, abort it, or answer the failure it waits at. Each is
// signed by the API and judged by the workflow against who held deploy when the release started.
import { Argument, type Command, Option } from 'commander';
import { GUIDED_OPTIONS } from '../../workflows/release-model.js';
import type { OrderResult } from '../api-types.js';
import { CliError } from '../cli-error.js';
import { action, type CommandContext, withCommonOptions } from '../command-context.js';
import { EXIT } from '../exit-codes.js';
import { printable } from '../output.js';
import { findRollbackTarget } from '../rollback-target.js';

const releasePath = (id: string, what: string) => `/releases/${encodeURIComponent(id)}/${what}`;

function reportOrder(context: CommandContext, id: string, answer: OrderResult) {
  if (context.out.json) {
    context.out.printJson({ releaseId: id, ...answer });
    return EXIT.ok;
  }
  context.out.print(printable(answer.message));
  if (answer.missing.includes('deploy')) {
    context.out.print(`  a second person with deploy must order it too: runway rollback ${id} --reason "…"`);
  }
  return EXIT.ok;
}

interface RollbackOptions {
  reason: string;
  service?: string;
  env: string;
  to?: 'previous';
}

async function rollback(context: CommandContext, id: string | undefined, options: RollbackOptions) {
  if (id && (options.service || options.to)) {
    throw new CliError('give either a release id or --service with --to previous, not both');
  }
  if (!id && !(options.service && options.to)) {
    throw new CliError(
      'give a release id, or --service <name> --to previous (with --env, production by default)',
    );
  }
  const client = context.client();
  let target = id;
  if (!target && options.service) {
    const found = await findRollbackTarget(client, options.service, options.env);
    if (!context.out.json) {
      context.out.print(
        printable(`rolling back ${found.id} (${found.service} ${found.version}, ${found.status})`),
      );
    }
    target = found.id;
  }
  if (!target) throw new CliError('nothing to roll back');
  const answer = await client.post<OrderResult>(releasePath(target, 'rollback'), { reason: options.reason });
  return reportOrder(context, target, answer);
}

export function registerOrderCommands(program: Command): void {
  withCommonOptions(
    program
      .command('rollback')
      .description(
        'undo a release (newest change first, then verify); or the latest one that changed an environment',
      )
      .argument('[release]', 'the release id')
      .requiredOption('--reason <text>', 'why (kept in the release)')
      .option('--service <name>', 'with --to previous: the service whose latest release there is undone')
      .option('--env <environment>', 'with --to previous: the environment', 'production')
      .addOption(new Option('--to <target>', 'what to go back to').choices(['previous'])),
  )
    .addHelpText(
      'after',
      `
Where production rollback is two-person, the first order waits for a second person with deploy.
After success a rollback may be ordered until the release's rollbackOpenUntil, and not once a newer
release of the service started: the API then answers 409, and so does this command (exit 1).
--to previous undoes the newest release of the service that changed the environment (one of its
deploy, migrate or apply-config steps ran there); when the newest release is still on its way there,
it names that one instead: roll it back by its id.

Examples:
  runway rollback edm-web-regular-1.2.3-a1b2c3 --reason "error rate up"
  runway rollback --service edm-web --env production --to previous --reason "error rate up"`,
    )
    .action(
      action(async (context, id: string | undefined, options: RollbackOptions) =>
        rollback(context, id, options),
      ),
    );

  withCommonOptions(
    program
      .command('abort')
      .description('stop a release where it is; what it changed in that environment is undone')
      .argument('<release>', 'the release id')
      .requiredOption('--reason <text>', 'why (kept in the release)'),
  )
    .addHelpText('after', '\nExample:\n  runway abort edm-web-regular-1.2.3-a1b2c3 --reason "wrong build"')
    .action(
      action(async (context, id: string, options: { reason: string }) => {
        const answer = await context
          .client()
          .post<OrderResult>(releasePath(id, 'abort'), { reason: options.reason });
        return reportOrder(context, id, answer);
      }),
    );

  withCommonOptions(
    program
      .command('decide')
      .description('answer the failure a release waits at (status waiting-decision)')
      .argument('<release>', 'the release id')
      .addArgument(new Argument('<decision>', 'what to do').choices(GUIDED_OPTIONS))
      .requiredOption('--reason <text>', 'why (kept in the release)'),
  )
    .addHelpText(
      'after',
      '\nExample:\n  runway decide edm-web-regular-1.2.3-a1b2c3 retry --reason "the registry was down"',
    )
    .action(
      action(async (context, id: string, decision: string, options: { reason: string }) => {
        const answer = await context
          .client()
          .post<OrderResult>(releasePath(id, 'decision'), { decision, reason: options.reason });
        return reportOrder(context, id, answer);
      }),
    );
}
