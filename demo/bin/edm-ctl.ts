/**
 * edm-ctl: the deploy tool a release's command driver runs against the demo target, as it
 * would run kubectl against a cluster. One JSON line on stdout on success; one plain line
 * on stderr on failure. Exit codes:
 *   0  done
 *   1  the operation or check failed (or the agent could not be reached)
 *   2  bad usage
 *   3  the target was not as the caller expected: its active colour is not --expect-active
 *      (someone changed it, e.g. switched traffic by hand), or deploy aimed at the live colour.
 *      Nothing was changed.
 * deploy, switch and retire take --expect-active blue|green|none (none: nothing takes traffic) and
 * act only if that is still the active colour; deploy and switch without it check nothing. A switch
 * to the colour already serving, or a retire of a colour not deployed, changes nothing and succeeds,
 * so a retry after a lost answer is safe.
 * edm-sender is updated instance by instance: `instances` lists them with their versions, `update`
 * puts a version on one (with --expect-version it acts only while the instance runs that version,
 * else exit 3; an instance already on the version is left alone), `check-instance` checks one
 * instance on its own port.
 * edm-web's configuration (R-CONFIG-CHANGE): `config-current` prints the bundle in force,
 * `config-apply` puts a bundle in force (with --expect-revision it acts only while that one is in
 * force, else exit 3; the bundle already in force is left alone), `config-check` checks that the
 * serving colour runs healthily with a bundle.
 */
import { parseArgs } from 'node:util';
import {
  AgentError,
  AgentTargetChangedError,
  applyConfig,
  type ChangeGuard,
  configStatus,
  deployColour,
  environmentStatus,
  instanceStatus,
  listInstances,
  retireColour,
  switchActiveColour,
  updateInstance,
} from '../edm-ctl/agent-client.js';
import { DEMO_SERVICES, type DemoService, runIntegrationSuite } from '../edm-ctl/integration-suite.js';
import { INSTANCE_NAME_PATTERN } from '../edm-sender/behaviour.js';
import { REVISION_PATTERN } from '../edm-web/live-config.js';
import { isStrictSemver, VERSION_HINT } from '../edm-web/version.js';
import {
  COLOURS,
  type Colour,
  ENVIRONMENT_NAME_PATTERN,
  type EnvironmentStatus,
  type ExpectedActive,
  type SenderInstanceStatus,
} from '../target/model.js';

type OptionName =
  | 'agent'
  | 'env'
  | 'colour'
  | 'version'
  | 'url'
  | 'timeout-ms'
  | 'expect-active'
  | 'key'
  | 'instance'
  | 'expect-version'
  | 'service'
  | 'revision'
  | 'expect-revision';
type Options = Partial<Record<OptionName, string>>;

interface Outcome {
  output: unknown;
  /** Set when the command ran but what it checked did not hold. */
  failure?: string;
}

interface Command {
  usage: string;
  required: OptionName[];
  optional?: OptionName[];
  run(options: Options): Promise<Outcome>;
}

class UsageError extends Error {}

const DEFAULT_CHECK_TIMEOUT_MS = '5000';
const TARGET_CHANGED_EXIT_CODE = 3;
/** How --expect-active says "nothing is active": a command-line value cannot be empty or null. */
const NOTHING_ACTIVE = 'none';

function httpUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

const VALIDATORS: Record<OptionName, { valid(value: string): boolean; expected: string }> = {
  agent: { valid: httpUrl, expected: 'an http(s) URL such as http://127.0.0.1:4100' },
  url: { valid: httpUrl, expected: 'an http(s) URL such as http://127.0.0.1:4110' },
  env: {
    valid: (value) => ENVIRONMENT_NAME_PATTERN.test(value),
    expected: `a name matching ${ENVIRONMENT_NAME_PATTERN.source}`,
  },
  colour: {
    valid: (value) => (COLOURS as readonly string[]).includes(value),
    expected: COLOURS.join(' or '),
  },
  version: { valid: isStrictSemver, expected: VERSION_HINT },
  'expect-version': { valid: isStrictSemver, expected: VERSION_HINT },
  instance: {
    valid: (value) => INSTANCE_NAME_PATTERN.test(value),
    expected: `an instance name such as sender-1 (${INSTANCE_NAME_PATTERN.source})`,
  },
  service: {
    valid: (value) => (DEMO_SERVICES as readonly string[]).includes(value),
    expected: DEMO_SERVICES.join(' or '),
  },
  'expect-active': {
    valid: (value) => [...COLOURS, NOTHING_ACTIVE].includes(value),
    expected: `${COLOURS.join(', ')} or ${NOTHING_ACTIVE}`,
  },
  key: {
    valid: (value) => /^[A-Za-z0-9][A-Za-z0-9._+:/@=-]{0,299}$/.test(value),
    expected: 'an idempotency key (letters, digits and ._+:/@=-, at most 300)',
  },
  revision: {
    valid: (value) => REVISION_PATTERN.test(value),
    expected: `a configuration bundle name (${REVISION_PATTERN.source})`,
  },
  'expect-revision': {
    valid: (value) => value === NOTHING_ACTIVE || REVISION_PATTERN.test(value),
    expected: `a configuration bundle name, or ${NOTHING_ACTIVE}`,
  },
  'timeout-ms': {
    valid: (value) => /^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 60_000,
    expected: 'a number of milliseconds between 1 and 60000',
  },
};

/** Options were checked by readOptions against the command's `required` list. */
function given(options: Options, name: OptionName): string {
  const value = options[name];
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

/** Undefined when the option is absent: the agent then checks nothing. */
function expectedActive(options: Options): ExpectedActive {
  const value = options['expect-active'];
  if (value === undefined) return undefined;
  return value === NOTHING_ACTIVE ? null : (value as Colour);
}

/** What a change to a colour carries: --expect-active and --key. */
const guardOf = (options: Options): ChangeGuard => ({
  expectActive: expectedActive(options),
  idempotencyKey: options.key,
});

/** Runs the integration suite against one URL; a failed check makes the command fail. */
async function suiteOutcome(
  url: string,
  o: Options,
  failurePrefix: string,
  service: DemoService = 'edm-web',
): Promise<Outcome> {
  const report = await runIntegrationSuite(
    url,
    given(o, 'version'),
    Number(o['timeout-ms'] ?? DEFAULT_CHECK_TIMEOUT_MS),
    service,
  );
  const failed = report.checks.filter((check) => !check.passed);
  return {
    output: report,
    failure:
      failed.length === 0
        ? undefined
        : `${failurePrefix}: ${failed.map((check) => `${check.name} (${check.detail})`).join('; ')}`,
  };
}

/** What the serving colour of an environment answers on /config and /health. */
async function checkServedConfig(o: Options): Promise<Outcome> {
  const env = given(o, 'env');
  const revision = given(o, 'revision');
  const status = (await environmentStatus(given(o, 'agent'), env)) as EnvironmentStatus;
  const active = status.activeColour;
  const instance = active ? status.colours[active] : null;
  if (!active || !instance?.running) {
    return { output: { environment: env, running: false }, failure: `nothing serves in ${env}` };
  }
  const url = `http://127.0.0.1:${instance.port}`;
  const timeout = Number(o['timeout-ms'] ?? DEFAULT_CHECK_TIMEOUT_MS);
  const read = async (path: string) => {
    try {
      const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(timeout) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    } catch (error) {
      return { status: 0, body: { error: (error as Error).message } };
    }
  };
  const [config, health, api] = await Promise.all([read('/config'), read('/health'), read('/api/campaigns')]);
  const served = config.body.revision;
  const problems = [
    ...(served === revision ? [] : [`serves configuration ${String(served)}, expected ${revision}`]),
    ...(health.status === 200
      ? []
      : [`/health answered ${health.status} (${String(health.body.reason ?? '')})`]),
    ...(api.status === 200 ? [] : [`/api/campaigns answered ${api.status}`]),
  ];
  return {
    output: { environment: env, colour: active, url, revision: served, healthy: problems.length === 0 },
    failure: problems.length === 0 ? undefined : `${env} with ${revision}: ${problems.join('; ')}`,
  };
}

const COMMANDS: Record<string, Command> = {
  deploy: {
    usage:
      'deploy --agent URL --env ENV --colour blue|green --version SEMVER [--expect-active blue|green|none] [--key KEY]',
    required: ['agent', 'env', 'colour', 'version'],
    optional: ['expect-active', 'key'],
    run: async (o) => ({
      output: await deployColour(
        given(o, 'agent'),
        given(o, 'env'),
        given(o, 'colour'),
        given(o, 'version'),
        guardOf(o),
      ),
    }),
  },
  switch: {
    usage: 'switch --agent URL --env ENV --colour blue|green [--expect-active blue|green|none] [--key KEY]',
    required: ['agent', 'env', 'colour'],
    optional: ['expect-active', 'key'],
    run: async (o) => ({
      output: await switchActiveColour(given(o, 'agent'), given(o, 'env'), given(o, 'colour'), guardOf(o)),
    }),
  },
  // Stops the colour; if it was active, nothing takes traffic. Idempotent: a colour not deployed is fine.
  retire: {
    usage: 'retire --agent URL --env ENV --colour blue|green --expect-active blue|green|none [--key KEY]',
    required: ['agent', 'env', 'colour', 'expect-active'],
    optional: ['key'],
    run: async (o) => ({
      output: await retireColour(given(o, 'agent'), given(o, 'env'), given(o, 'colour'), guardOf(o)),
    }),
  },
  status: {
    usage: 'status --agent URL --env ENV',
    required: ['agent', 'env'],
    run: async (o) => ({ output: await environmentStatus(given(o, 'agent'), given(o, 'env')) }),
  },
  // For operators by hand: retire without an expectation.
  stop: {
    usage: 'stop --agent URL --env ENV --colour blue|green',
    required: ['agent', 'env', 'colour'],
    run: async (o) => ({
      output: await retireColour(given(o, 'agent'), given(o, 'env'), given(o, 'colour')),
    }),
  },
  check: {
    usage: 'check --agent URL --env ENV --colour blue|green --version SEMVER [--timeout-ms 5000]',
    required: ['agent', 'env', 'colour', 'version'],
    optional: ['timeout-ms'],
    // Blue-green checks the idle colour directly, on its own port, before it takes any traffic.
    run: async (o) => {
      const colour = given(o, 'colour') as Colour;
      const status = (await environmentStatus(given(o, 'agent'), given(o, 'env'))) as EnvironmentStatus;
      const instance = status.colours[colour];
      if (!instance?.running) {
        return {
          output: { colour, running: false },
          failure: `${colour} is not running in ${given(o, 'env')}`,
        };
      }
      const url = `http://127.0.0.1:${instance.port}`;
      const outcome = await suiteOutcome(url, o, `${colour} failed its checks`);
      return { ...outcome, output: { colour, url, ...(outcome.output as object) } };
    },
  },
  'integration-test': {
    usage:
      'integration-test --url SERVICE_URL --version SEMVER [--service edm-web|edm-sender] [--timeout-ms 5000]',
    required: ['url', 'version'],
    optional: ['timeout-ms', 'service'],
    run: (o) => {
      const url = given(o, 'url');
      const service = (o.service ?? 'edm-web') as DemoService;
      return suiteOutcome(url, o, `integration test against ${url} failed`, service);
    },
  },
  // {environment, revision, appliedAt}: the bundle in force (null: none).
  'config-current': {
    usage: 'config-current --agent URL --env ENV',
    required: ['agent', 'env'],
    run: async (o) => ({ output: await configStatus(given(o, 'agent'), given(o, 'env')) }),
  },
  'config-apply': {
    usage: 'config-apply --agent URL --env ENV --revision NAME [--expect-revision NAME|none] [--key KEY]',
    required: ['agent', 'env', 'revision'],
    optional: ['expect-revision', 'key'],
    run: async (o) => {
      const expected = o['expect-revision'];
      return {
        output: await applyConfig(
          given(o, 'agent'),
          given(o, 'env'),
          given(o, 'revision'),
          expected === undefined ? undefined : expected === NOTHING_ACTIVE ? null : expected,
          o.key,
        ),
      };
    },
  },
  // The serving colour answers /config with the revision, and /health and its key function with 200.
  'config-check': {
    usage: 'config-check --agent URL --env ENV --revision NAME [--timeout-ms 5000]',
    required: ['agent', 'env', 'revision'],
    optional: ['timeout-ms'],
    run: checkServedConfig,
  },
  // One JSON array: [{instance, version, healthy, port}], in update order.
  instances: {
    usage: 'instances --agent URL --env ENV',
    required: ['agent', 'env'],
    run: async (o) => {
      const list = (await listInstances(given(o, 'agent'), given(o, 'env'))) as SenderInstanceStatus[];
      return {
        output: list.map(({ instance, version, healthy, port }) => ({ instance, version, healthy, port })),
      };
    },
  },
  update: {
    usage:
      'update --agent URL --env ENV --instance NAME --version SEMVER [--expect-version SEMVER] [--key KEY]',
    required: ['agent', 'env', 'instance', 'version'],
    optional: ['expect-version', 'key'],
    run: async (o) => ({
      output: await updateInstance(
        given(o, 'agent'),
        given(o, 'env'),
        given(o, 'instance'),
        given(o, 'version'),
        o['expect-version'],
        o.key,
      ),
    }),
  },
  // Checks the instance itself, on its own port: health, version and its key function.
  'check-instance': {
    usage: 'check-instance --agent URL --env ENV --instance NAME --version SEMVER [--timeout-ms 5000]',
    required: ['agent', 'env', 'instance', 'version'],
    optional: ['timeout-ms'],
    run: async (o) => {
      const name = given(o, 'instance');
      const status = (await instanceStatus(given(o, 'agent'), given(o, 'env'), name)) as SenderInstanceStatus;
      if (!status.running) {
        return {
          output: { instance: name, running: false },
          failure: `${name} is not running in ${given(o, 'env')}`,
        };
      }
      const url = `http://127.0.0.1:${status.port}`;
      const outcome = await suiteOutcome(url, o, `${name} failed its checks`, 'edm-sender');
      return { ...outcome, output: { instance: name, url, ...(outcome.output as object) } };
    },
  },
};

function usage(): string {
  const lines = Object.values(COMMANDS).map((command) => `  edm-ctl ${command.usage}`);
  return ['usage:', ...lines].join('\n');
}

function readOptions(command: Command, argv: string[]): Options {
  const names = [...command.required, ...(command.optional ?? [])];
  let values: Options;
  try {
    values = parseArgs({
      args: argv,
      options: Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    }).values as Options;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  for (const name of command.required) {
    if (values[name] === undefined) throw new UsageError(`--${name} is required (${command.usage})`);
  }
  for (const name of names) {
    const value = values[name];
    const validator = VALIDATORS[name];
    if (value !== undefined && !validator.valid(value)) {
      throw new UsageError(`--${name} must be ${validator.expected}, got "${value}"`);
    }
  }
  return values;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    (name === undefined ? process.stderr : process.stdout).write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  try {
    if (command === undefined) throw new UsageError(`unknown command "${name}"\n${usage()}`);
    const { output, failure } = await command.run(readOptions(command, rest));
    process.stdout.write(`${JSON.stringify(output)}\n`);
    if (failure === undefined) return 0;
    process.stderr.write(`edm-ctl ${name}: ${failure}\n`);
    return 1;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`edm-ctl ${name}: ${message}\n`);
    if (error instanceof UsageError) return 2;
    if (error instanceof AgentTargetChangedError) return TARGET_CHANGED_EXIT_CODE;
    if (error instanceof AgentError) return 1;
    // Anything else is a defect in edm-ctl itself; show where.
    process.stderr.write(`${(error as Error).stack ?? ''}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
