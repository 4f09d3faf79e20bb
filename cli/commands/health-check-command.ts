// runway health-check: runs each service's verification checks once in each environment (on a
// worker, through the API), all at once, and exits non-zero when any fails or cannot be asked.
import { type Command, InvalidArgumentError } from 'commander';
import { type ApiClient, ApiError } from '../api-client.js';
import type { HealthReport, ServiceList } from '../api-types.js';
import { CliError } from '../cli-error.js';
import { action, withCommonOptions } from '../command-context.js';
import { EXIT } from '../exit-codes.js';
import { formatTable, type Palette, printableStrings } from '../output.js';

/** One target's answer: its report, or why it could not be asked. */
export type HealthResult =
  | ({ ok: true } & HealthReport)
  | { ok: false; service: string; environment: string; error: { status: number | null; message: string } };

function parseTimeout(text: string): number {
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 120) {
    throw new InvalidArgumentError('expected whole seconds from 1 to 120');
  }
  return seconds;
}

async function checkOne(
  client: ApiClient,
  service: string,
  environment: string,
  timeout: number,
): Promise<HealthResult> {
  const path = `/services/${encodeURIComponent(service)}/environments/${encodeURIComponent(environment)}/health`;
  try {
    // The API gives each check `timeout` seconds on a worker; the answer may take a little longer.
    const report = await client.get<HealthReport>(path, { timeout }, { timeoutMs: (timeout + 30) * 1000 });
    return { ok: true, ...report };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return {
      ok: false,
      service,
      environment,
      error: { status: error instanceof ApiError ? error.status : null, message: error.message },
    };
  }
}

export function healthTable(answers: HealthResult[], paint: Palette): string[] {
  const rows = printableStrings(answers).map((result) => {
    if (!result.ok) return [result.service, result.environment, paint.red('ERROR'), result.error.message];
    const checks = result.checks
      .map(
        (check) =>
          `${check.passed ? '✓' : '✗'} ${check.name} ${check.latencyMs}ms${check.passed ? '' : ` (${check.detail})`}`,
      )
      .join('  ');
    return [
      result.service,
      result.environment,
      result.healthy ? paint.green('healthy') : paint.red('UNHEALTHY'),
      checks,
    ];
  });
  return formatTable(['SERVICE', 'ENV', 'HEALTH', 'CHECKS'], rows, paint);
}

/** Every service × environment asked for that the caller may read. */
function targetsOf(list: ServiceList, service: string, environment: string | undefined) {
  const services =
    service === 'all' ? list.services : list.services.filter((entry) => entry.name === service);
  if (services.length === 0) {
    throw new CliError(
      `no service ${service} you can read (known: ${list.services.map((entry) => entry.name).join(', ') || 'none'})`,
    );
  }
  const targets = services.flatMap((entry) =>
    entry.environments
      .filter((name) => environment === undefined || name === environment)
      .map((name) => ({ service: entry.name, environment: name })),
  );
  if (targets.length === 0)
    throw new CliError(`${service} does not run in ${environment} (or you cannot read it)`);
  return targets;
}

export function registerHealthCheckCommand(program: Command): void {
  withCommonOptions(
    program
      .command('health-check')
      .description("run services' health checks once per environment; non-zero exit when any fails")
      .requiredOption('--service <name>', 'a service, or all')
      .option('--env <environment>', 'only this environment (default: every one you can read)')
      .option('--timeout <seconds>', 'per check and overall, 1–120', parseTimeout, 30),
  )
    .addHelpText(
      'after',
      '\nExit codes: 0 every target healthy; 3 one failed or could not be asked; 1 usage or API error.\n\nExample:\n  runway health-check --service all --env production',
    )
    .action(
      action(async (context, options: { service: string; env?: string; timeout: number }) => {
        const client = context.client();
        const list = await client.get<ServiceList>('/services');
        const targets = targetsOf(list, options.service, options.env);
        const results = await Promise.all(
          targets.map((target) => checkOne(client, target.service, target.environment, options.timeout)),
        );
        if (context.out.json) context.out.printJson({ results });
        else context.out.print(...healthTable(results, context.out.paint));
        return results.every((result) => result.ok && result.healthy) ? EXIT.ok : EXIT.failed;
      }),
    );
}
