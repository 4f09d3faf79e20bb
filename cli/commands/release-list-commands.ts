// runway status [<release>] and runway list: releases as the caller may read them.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { ACTIVE_RELEASE_STATUSES, RELEASE_STATUSES, RELEASE_TYPES } from '../../workflows/release-model.js';
import type { Release, ReleaseSummary } from '../api-types.js';
import { action, type CommandContext, withCommonOptions } from '../command-context.js';
import { formatDuration } from '../durations.js';
import { EXIT } from '../exit-codes.js';
import { formatTable, type Palette, printable, printableStrings } from '../output.js';
import { releaseFrame, statusPaint } from '../release-view.js';

/** How many releases `runway status` shows when none is in progress. */
const LATEST_FEW = 5;

function ago(instant: string, now: number): string {
  return `${formatDuration(now - Date.parse(instant))} ago`;
}

export function releaseTable(listed: ReleaseSummary[], paint: Palette, now = Date.now()): string[] {
  if (listed.length === 0) return ['no releases'];
  const rows = printableStrings(listed).map((release) => [
    release.id,
    statusPaint(release.status, paint)(release.status),
    release.version,
    release.type,
    release.requestedBy,
    release.currentStep ? `${release.currentStep} (${release.currentEnvironment ?? '-'})` : '-',
    ago(release.updatedAt, now),
  ]);
  return formatTable(['RELEASE', 'STATUS', 'VERSION', 'TYPE', 'BY', 'STEP', 'UPDATED'], rows, paint);
}

async function showRelease(context: CommandContext, id: string) {
  const release = await context.client().get<Release>(`/releases/${encodeURIComponent(id)}`);
  if (context.out.json) context.out.printJson(release);
  else
    context.out.print(
      ...releaseFrame(release, Date.now(), context.out.paint),
      `Temporal Web: ${printable(release.temporalUrl)}`,
    );
  return EXIT.ok;
}

/** Without an id: the releases in progress the caller can see, else the latest few. */
async function showInProgress(context: CommandContext) {
  const { releases } = await context
    .client()
    .get<{ releases: ReleaseSummary[] }>('/releases', { limit: 200 });
  const inProgress = releases.filter((release) => ACTIVE_RELEASE_STATUSES.includes(release.status));
  const shown = inProgress.length ? inProgress : releases.slice(0, LATEST_FEW);
  if (context.out.json) {
    context.out.printJson({ releases: shown });
  } else {
    if (!inProgress.length && shown.length) context.out.print('nothing in progress; the latest releases:');
    context.out.print(...releaseTable(shown, context.out.paint));
  }
  return EXIT.ok;
}

function parseLimit(text: string): number {
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
    throw new InvalidArgumentError('expected a whole number from 1 to 200');
  }
  return limit;
}

export function registerReleaseListCommands(program: Command): void {
  withCommonOptions(
    program
      .command('status')
      .description('one release step by step; without an id, the releases in progress (or the latest few)')
      .argument('[release]', 'the release id'),
  )
    .addHelpText('after', '\nExamples:\n  runway status\n  runway status edm-web-regular-1.2.3-a1b2c3 --json')
    .action(
      action(async (context, id: string | undefined) =>
        id ? showRelease(context, id) : showInProgress(context),
      ),
    );

  withCommonOptions(
    program
      .command('list')
      .description('releases, newest first')
      .option('--service <name>', 'only this service')
      .addOption(new Option('--status <status>', 'only this status').choices(RELEASE_STATUSES))
      .addOption(new Option('--type <type>', 'only this type').choices(RELEASE_TYPES))
      .option('--limit <n>', 'at most this many (1–200)', parseLimit, 20),
  )
    .addHelpText('after', '\nExample:\n  runway list --service edm-web --status succeeded --limit 5')
    .action(
      action(
        async (context, options: { service?: string; status?: string; type?: string; limit: number }) => {
          const { releases } = await context.client().get<{ releases: ReleaseSummary[] }>('/releases', {
            service: options.service,
            status: options.status,
            type: options.type,
            limit: options.limit,
          });
          if (context.out.json) context.out.printJson({ releases });
          else context.out.print(...releaseTable(releases, context.out.paint));
          return EXIT.ok;
        },
      ),
    );
}
