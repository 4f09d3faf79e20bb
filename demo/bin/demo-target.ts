import { parseArgs } from 'node:util';
import { type DemoEnvironmentPorts, startDemoTarget } from '../target/demo-target.js';
import type { SenderPorts } from '../target/sender-pool.js';

const USAGE = `usage: demo-target.ts [--control-port 4100] [--state-file .runway/demo/state.json]
                      [--env NAME:PROXY_PORT:BLUE_PORT:GREEN_PORT ...] [--initial-version 1.0.0]
                      [--empty-env NAME ...]   (start NAME with nothing deployed, if it has no state yet)
                      [--sender NAME:PROXY_PORT:INSTANCES ...]   (edm-sender in NAME: its proxy, then
                       one port per instance right after it; by default in test, staging and
                       production when no --env is given)`;

const DEFAULT_ENVIRONMENTS = ['test:4110:4111:4112', 'staging:4120:4121:4122', 'production:4130:4131:4132'];
const DEFAULT_SENDERS = ['test:4115:4', 'staging:4125:4', 'production:4135:4'];

class UsageError extends Error {}

function parsePort(text: string, what: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`${what} must be a TCP port, got "${text}"`);
  return port;
}

function parseEnvironment(spec: string): DemoEnvironmentPorts {
  const [name, proxy, blue, green, ...rest] = spec.split(':');
  if (
    name === undefined ||
    proxy === undefined ||
    blue === undefined ||
    green === undefined ||
    rest.length > 0
  ) {
    throw new UsageError(`--env must be NAME:PROXY_PORT:BLUE_PORT:GREEN_PORT, got "${spec}"`);
  }
  return {
    name,
    proxyPort: parsePort(proxy, `proxy port of ${name}`),
    colourPorts: {
      blue: parsePort(blue, `blue port of ${name}`),
      green: parsePort(green, `green port of ${name}`),
    },
  };
}

function parseSender(spec: string): { name: string; sender: SenderPorts } {
  const [name, proxy, count, ...rest] = spec.split(':');
  if (name === undefined || proxy === undefined || count === undefined || rest.length > 0)
    throw new UsageError(`--sender must be NAME:PROXY_PORT:INSTANCES, got "${spec}"`);
  const instances = Number(count);
  if (!/^\d+$/.test(count) || instances < 1 || instances > 16)
    throw new UsageError(`instances of edm-sender in ${name} must be 1 to 16, got "${count}"`);
  const proxyPort = parsePort(proxy, `edm-sender proxy port of ${name}`);
  const instancePorts = Array.from({ length: instances }, (_, index) => proxyPort + 1 + index);
  return { name, sender: { proxyPort, instancePorts } };
}

function readOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'control-port': { type: 'string', default: '4100' },
      'state-file': { type: 'string', default: '.runway/demo/state.json' },
      env: { type: 'string', multiple: true },
      'initial-version': { type: 'string' },
      'empty-env': { type: 'string', multiple: true, default: [] },
      sender: { type: 'string', multiple: true },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const environments = (values.env ?? DEFAULT_ENVIRONMENTS).map(parseEnvironment);
  // The default senders belong to the default environments only.
  const senderSpecs = values.sender ?? (values.env ? [] : DEFAULT_SENDERS);
  const emptyNames = new Set(values['empty-env']);
  const senders = new Map(senderSpecs.map(parseSender).map(({ name, sender }) => [name, sender]));
  for (const name of senders.keys()) {
    if (!environments.some((environment) => environment.name === name))
      throw new UsageError(`--sender ${name} names no environment given with --env`);
  }
  for (const name of emptyNames) {
    if (!environments.some((environment) => environment.name === name))
      throw new UsageError(`--empty-env ${name} names no environment given with --env`);
  }
  return {
    help: values.help,
    controlPort: parsePort(values['control-port'], '--control-port'),
    stateFile: values['state-file'],
    environments: environments.map((environment) => ({
      ...environment,
      empty: emptyNames.has(environment.name),
      sender: senders.get(environment.name),
    })),
    initialVersion: values['initial-version'],
  };
}

function timestamped(line: string): void {
  console.log(`${new Date().toISOString()} ${line}`);
}

async function main(): Promise<void> {
  let options: ReturnType<typeof readOptions>;
  try {
    options = readOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`demo-target: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const target = await startDemoTarget({ ...options, log: timestamped });
  console.log(`demo target ready; control API ${target.controlUrl}; state in ${options.stateFile}`);
  for (const { name, proxyPort, colourPorts, sender } of options.environments) {
    console.log(
      `  ${name}: http://127.0.0.1:${proxyPort} (blue http://127.0.0.1:${colourPorts.blue}, green http://127.0.0.1:${colourPorts.green})`,
    );
    if (sender) {
      const ports = sender.instancePorts;
      console.log(
        `  ${name} edm-sender: http://127.0.0.1:${sender.proxyPort} (${ports.length} instances on ports ${ports[0]}-${ports.at(-1)})`,
      );
    }
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal means the operator will not wait; the next start cleans up any orphans.
      console.error(`demo-target: ${signal} again, exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    timestamped(`${signal} received, stopping`);
    target.stop().then(
      () => process.exit(0),
      (error: Error) => {
        console.error(`demo-target: stop failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: Error) => {
  console.error(`demo-target: ${error.message}`);
  process.exit(1);
});
