// runway deploy: shows the plan the API resolves (a dry run), asks before production, starts the
// release with an Idempotency-Key (so a retry after a lost answer gets the same release), then
// watches it.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, Option } from 'commander';
import { RELEASE_TYPES, type ReleaseType } from '../../workflows/release-model.js';
import { type ApiClient, ApiError, ConnectionError } from '../api-client.js';
import type { DryRun, Release } from '../api-types.js';
import { CliError } from '../cli-error.js';
import { action, type CommandContext, withCommonOptions } from '../command-context.js';
import { parseDuration } from '../durations.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { printable } from '../output.js';
import { planEnvironments, planLines } from '../plan-view.js';
import { askYesNo } from '../prompt.js';
import { followRelease, WATCH_HELP } from './watch-command.js';

interface DeployOptions {
  service: string;
  version?: string;
  env?: string;
  type: ReleaseType;
  changeRef?: string;
  configRevision?: string;
  reason?: string;
  impact?: string;
  rollbackPlan?: string;
  dryRun?: boolean;
  yes?: boolean;
  watch: boolean;
  timeout?: number;
  idempotencyKey?: string;
}

const CONFIG_FIELDS = [
  ['configRevision', '--config-revision'],
  ['reason', '--reason'],
  ['impact', '--impact'],
  ['rollbackPlan', '--rollback-plan'],
] as const;

/** The start's body for its type: a version to ship, or a configuration bundle with its why. */
export function startBody(options: DeployOptions): Record<string, unknown> {
  const common = {
    type: options.type,
    service: options.service,
    ...(options.changeRef ? { changeRef: options.changeRef } : {}),
  };
  if (options.type !== 'config-change') {
    const given = CONFIG_FIELDS.filter(([field]) => options[field] !== undefined).map(([, flag]) => flag);
    if (given.length) throw new CliError(`${given.join(', ')}: only a config-change takes them`);
    if (!options.version) throw new CliError(`a ${options.type} release needs --version`);
    return { ...common, version: options.version };
  }
  if (options.version) throw new CliError('a config-change ships no version: give --config-revision instead');
  const missing = CONFIG_FIELDS.filter(([field]) => !options[field]).map(([, flag]) => flag);
  if (missing.length) throw new CliError(`a config-change needs ${missing.join(', ')}`);
  return {
    ...common,
    configRevision: options.configRevision,
    reason: options.reason,
    impact: options.impact,
    rollbackPlan: options.rollbackPlan,
  };
}

/** --env names where the operator means the release to end: the runbook must end there too. */
function checkFinalEnvironment(dryRun: DryRun, options: DeployOptions): void {
  if (!options.env) return;
  const environments = planEnvironments(dryRun.plan);
  const last = dryRun.plan.steps.at(-1)?.environment;
  if (last === options.env) return;
  throw new CliError(
    `the ${options.type} runbook takes ${options.service} through ${environments.join(', ')} and ends in ${last}, not ${options.env} (nothing was started)`,
  );
}

/** Asks on a terminal; without one, only --yes lets a release towards production start. */
async function confirmProduction(options: DeployOptions, what: string): Promise<boolean> {
  if (options.yes) return true;
  if (!process.stdin.isTTY) {
    throw new CliError(
      `${what} deploys to production: confirm on a terminal, or pass --yes (nothing was started)`,
    );
  }
  return askYesNo(`Start ${what}, which deploys to production?`);
}

/** Starts, asking again with the same key when the answer was lost: the API returns the same release. */
async function startRelease(
  client: ApiClient,
  body: Record<string, unknown>,
  key: string,
): Promise<{ status: number; body: Release }> {
  const pauses = [1000, 3000];
  for (let attempt = 0; ; attempt++) {
    try {
      return await client.send<Release>('POST', '/releases', { body, headers: { 'Idempotency-Key': key } });
    } catch (error) {
      const retriable =
        error instanceof ConnectionError || (error instanceof ApiError && error.status === 503);
      const pause = pauses[attempt];
      if (!retriable || pause === undefined) throw error;
      await sleep(pause);
    }
  }
}

async function deploy(context: CommandContext, options: DeployOptions): Promise<ExitCode> {
  const { out } = context;
  const body = startBody(options);
  const client = context.client();
  const dryRun = await client.post<DryRun>('/releases', { ...body, dryRun: true });
  checkFinalEnvironment(dryRun, options);
  const what = `${options.service} ${String(body.version ?? body.configRevision)} (${options.type})`;
  if (options.dryRun) {
    if (out.json) out.printJson(dryRun);
    else out.print(...planLines(dryRun, what, out.paint));
    return EXIT.ok;
  }
  if (!out.json) out.print(...planLines(dryRun, what, out.paint), '');
  if (planEnvironments(dryRun.plan).includes('production') && !(await confirmProduction(options, what))) {
    out.note('runway: not started');
    return EXIT.error;
  }
  const started = await startRelease(client, body, options.idempotencyKey ?? randomUUID());
  const release = started.body;
  if (!out.json) {
    out.print(
      `${started.status === 201 ? 'started' : 'already started (same Idempotency-Key)'} ${out.paint.bold(printable(release.id))}`,
      `  Temporal Web: ${printable(release.temporalUrl)}`,
    );
  }
  if (!options.watch) {
    if (out.json) out.printJson(release);
    else out.print(`  follow it with: runway watch ${printable(release.id)}`);
    return EXIT.ok;
  }
  return followRelease(context, release.id, options.timeout);
}

export function registerDeployCommand(program: Command): void {
  withCommonOptions(
    program
      .command('deploy')
      .description('start a release: show its plan, ask before production, start it and watch it')
      .requiredOption('--service <name>', 'the service, e.g. edm-web')
      .option('--version <semver>', 'the version to ship (regular, hotfix, emergency)')
      .option('--env <environment>', 'where the release must end; refused when its runbook ends elsewhere')
      .addOption(new Option('--type <type>', 'the release type').choices(RELEASE_TYPES).default('regular'))
      .option('--change-ref <ref>', 'the change request or merge it ships, e.g. CHG-1234')
      .option('--config-revision <bundle>', 'config-change: the configuration bundle to apply')
      .option('--reason <text>', 'config-change: why the configuration changes')
      .option('--impact <text>', 'config-change: what it affects, and who notices')
      .option('--rollback-plan <text>', 'config-change: how to go back')
      .option('--dry-run', 'show the plan and start nothing')
      .option('-y, --yes', 'start without asking, even towards production (needed without a terminal)')
      .option('--no-watch', 'start and return; follow it later with runway watch')
      .option(
        '--timeout <duration>',
        'stop watching after this long (exit 5; the release keeps running)',
        parseDuration,
      )
      .option('--idempotency-key <key>', "the start's Idempotency-Key (default: a new random one)"),
  )
    .addHelpText(
      'after',
      `
Examples:
  runway deploy --service edm-web --env production --version 1.2.3 --change-ref CHG-1001
  runway deploy --service edm-web --type hotfix --version 1.2.4 --yes --no-watch
  runway deploy --service edm-web --type config-change --config-revision send-rate-1200 \\
    --reason "more throughput" --impact "mail goes out faster" --rollback-plan "previous revision"
  runway deploy --service edm-web --version 1.3.0 --dry-run --json
${WATCH_HELP}`,
    )
    .action(action(async (context, options: DeployOptions) => deploy(context, options)));
}
