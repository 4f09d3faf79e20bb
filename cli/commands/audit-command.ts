// runway audit: the audit trail, newest first (admins, for the environments where they are admin).
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { AuditPage } from '../api-types.js';
import { action, withCommonOptions } from '../command-context.js';
import { parseInstant } from '../durations.js';
import { EXIT } from '../exit-codes.js';
import { formatTable, printableStrings } from '../output.js';

interface AuditOptions {
  actor?: string;
  action?: string;
  target?: string;
  outcome?: string;
  since?: string;
  until?: string;
  limit: number;
  before?: number;
}

const wholeNumber = (min: number, max: number) => (text: string) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
  }
  return value;
};

export function registerAuditCommand(program: Command): void {
  withCommonOptions(
    program
      .command('audit')
      .description('the audit trail, newest first (admins)')
      .option('--actor <identity>', 'only this identity')
      .option('--action <action>', 'only this operation, e.g. releases.start')
      .option('--target <target>', 'only this release id, service or path')
      .addOption(
        new Option('--outcome <outcome>', 'only this outcome').choices(['allowed', 'refused', 'failed']),
      )
      .option('--since <when>', 'at or after: an ISO instant, or a time ago (2h, 7d)', (text) =>
        parseInstant(text),
      )
      .option('--until <when>', 'before: an ISO instant, or a time ago', (text) => parseInstant(text))
      .option('--limit <n>', 'at most this many (1–500)', wholeNumber(1, 500), 50)
      .option(
        '--before <id>',
        "older than this entry: the previous page's nextBefore",
        wholeNumber(1, Number.MAX_SAFE_INTEGER),
      ),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  runway audit --actor ops-wang --since 24h\n  runway audit --outcome refused --limit 20 --json',
    )
    .action(
      action(async (context, options: AuditOptions) => {
        const { actor, action: operation, target, outcome, since, until, limit, before } = options;
        const page = await context.client().get<AuditPage>('/audit', {
          actor,
          action: operation,
          target,
          outcome,
          since,
          until,
          limit,
          before,
        });
        if (context.out.json) {
          context.out.printJson(page);
          return EXIT.ok;
        }
        const rows = printableStrings(page.events).map((event) => [
          event.occurredAt,
          event.actor ?? '-',
          event.action,
          event.target,
          event.outcome,
          String(event.status ?? '-'),
          event.reason ?? '',
        ]);
        context.out.print(
          ...(rows.length
            ? formatTable(
                ['TIME', 'ACTOR', 'ACTION', 'TARGET', 'OUTCOME', 'STATUS', 'REASON'],
                rows,
                context.out.paint,
              )
            : ['no entries']),
        );
        if (page.nextBefore !== null) context.out.print(`more: runway audit --before ${page.nextBefore} …`);
        return EXIT.ok;
      }),
    );
}
