// Decisions at a gate a release waits at: approve, reject, confirm a manual checklist item, and
// confirm a window override. The workflow judges each against the roster frozen at start; the
// answer is its verdict (202 counted, else one line with the API's status and reason).
import type { Command } from 'commander';
import type { ConfirmationResult, DecisionResult } from '../api-types.js';
import { action, type CommandContext, withCommonOptions } from '../command-context.js';
import { EXIT } from '../exit-codes.js';
import { printable, printableStrings } from '../output.js';

const releasePath = (id: string, what: string) => `/releases/${encodeURIComponent(id)}/${what}`;

function reportCounted(context: CommandContext, result: DecisionResult, id: string, what: string) {
  if (context.out.json) {
    context.out.printJson(result);
  } else {
    const rest = result.missing.length
      ? `still missing: ${printable(result.missing.join(', '))}`
      : 'no seat is missing any more';
    context.out.print(`${what} counted for ${id}; ${rest}`);
  }
  return EXIT.ok;
}

export function registerGateCommands(program: Command): void {
  withCommonOptions(
    program
      .command('approve')
      .description('approve the gate a release waits at (PM, tech lead, on-call lead as the runbook names)')
      .argument('<release>', 'the release id')
      .option('--comment <text>', 'kept with the decision'),
  )
    .addHelpText(
      'after',
      '\nExample:\n  runway approve edm-web-regular-1.2.3-a1b2c3 --comment "scope agreed"',
    )
    .action(
      action(async (context, id: string, options: { comment?: string }) => {
        const result = await context.client().post<DecisionResult>(releasePath(id, 'approvals'), {
          decision: 'approve',
          ...(options.comment ? { comment: options.comment } : {}),
        });
        return reportCounted(context, result, id, 'approval');
      }),
    );

  withCommonOptions(
    program
      .command('reject')
      .description('reject the gate a release waits at: it ends rejected, production untouched')
      .argument('<release>', 'the release id')
      .requiredOption('--reason <text>', 'why (kept with the decision)'),
  )
    .addHelpText('after', '\nExample:\n  runway reject edm-web-regular-1.2.3-a1b2c3 --reason "legal hold"')
    .action(
      action(async (context, id: string, options: { reason: string }) => {
        const result = await context.client().post<DecisionResult>(releasePath(id, 'approvals'), {
          decision: 'reject',
          comment: options.reason,
        });
        if (context.out.json) context.out.printJson(result);
        else
          context.out.print(`rejection counted for ${id}: the release ends rejected, production untouched`);
        return EXIT.ok;
      }),
    );

  withCommonOptions(
    program
      .command('confirm')
      .description('confirm the manual checklist item a release waits at')
      .argument('<release>', 'the release id')
      .argument('<step>', 'the confirm step waiting (its pendingGate.gateId), e.g. fix-reviewed')
      .requiredOption('--note <text>', 'what was checked (kept in the checklist)'),
  )
    .addHelpText(
      'after',
      '\nExample:\n  runway confirm edm-web-hotfix-1.2.4-a1b2c3 fix-reviewed --note "diff read, test added"',
    )
    .action(
      action(async (context, id: string, step: string, options: { note: string }) => {
        const result = await context
          .client()
          .post<ConfirmationResult>(releasePath(id, 'confirmations'), { stepId: step, note: options.note });
        if (context.out.json) context.out.printJson(result);
        else {
          const { stepId, confirmedBy, role } = printableStrings(result);
          context.out.print(`${stepId} confirmed by ${confirmedBy} (${role}) for ${id}`);
        }
        return EXIT.ok;
      }),
    );

  withCommonOptions(
    program
      .command('override')
      .description(
        'let a release waiting for its release window through now (two admins, each with a reason)',
      )
      .argument('<release>', 'the release id')
      .requiredOption('--reason <text>', 'why it cannot wait (at least 3 characters)'),
  )
    .addHelpText(
      'after',
      '\nExample:\n  runway override edm-web-regular-1.2.3-a1b2c3 --reason "fix for the outage"',
    )
    .action(
      action(async (context, id: string, options: { reason: string }) => {
        const result = await context
          .client()
          .post<DecisionResult>(releasePath(id, 'window-override'), { reason: options.reason });
        return reportCounted(context, result, id, 'window override');
      }),
    );
}
