import type http from 'node:http';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { projectRoot } from '../../config/project-root.js';
import { CONFIG_FILE_ENV } from '../edm-web/live-config.js';
import { versionSchema } from '../edm-web/version.js';
import { bundleDemoPrograms, demoProgramPaths } from '../program-bundles.js';
import { ActionLog } from './action-log.js';
import { createControlServer } from './control-api.js';
import { DemoEnvironment } from './environment.js';
import { configFileFor, EnvironmentConfig } from './environment-config.js';
import { closeServer, listenLocally } from './http-server.js';
import { environmentNameSchema } from './model.js';
import { killOrphanedInstance, readCommandLine } from './processes.js';
import { SenderPool, type SenderPorts } from './sender-pool.js';
import {
  createStateWriter,
  type PersistedEnvironment,
  type PersistedState,
  readStateFile,
  readStateFileNow,
} from './state-file.js';
import { startPoolProxy, startTrafficProxy, type TrafficProxy } from './traffic-proxy.js';

export interface DemoEnvironmentPorts {
  name: string;
  proxyPort: number;
  colourPorts: { blue: number; green: number };
  /**
   * Start with nothing deployed (no colour, nothing active) instead of `initialVersion` on blue, to
   * try a service's first-ever release. Only on a first start: recorded state always wins.
   */
  empty?: boolean;
  /** edm-sender here: its proxy and one port per instance (R-RB-ROLLING). Absent: no edm-sender. */
  sender?: SenderPorts;
}

export interface DemoTargetOptions {
  /** The agent's control API, on 127.0.0.1; 0 picks a free port. */
  controlPort: number;
  /** JSON state, written atomically on every change; kept when the agent stops. */
  stateFile: string;
  environments: DemoEnvironmentPorts[];
  /** What every environment runs on blue the first time, before any state exists. Default 1.0.0. */
  initialVersion?: string;
  /** Progress lines; by default nothing is logged. */
  log?: (line: string) => void;
}

export interface DemoTarget {
  controlUrl: string;
  /** Stops the control API, the proxies and every instance; the state file remains. */
  stop(): Promise<void>;
}

/** Generous for a cold start on a busy laptop; a healthy instance starts in well under a second. */
const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 3_000;
const SERVER = demoProgramPaths('edm-web-server');
const SENDER_SERVER = demoProgramPaths('edm-sender-server');

const servicePortSchema = z.number().int().min(1).max(65535);

const optionsSchema = z
  .object({
    controlPort: z.number().int().min(0).max(65535),
    stateFile: z.string().min(1),
    environments: z
      .array(
        z.object({
          name: environmentNameSchema,
          proxyPort: servicePortSchema,
          colourPorts: z.object({ blue: servicePortSchema, green: servicePortSchema }),
          empty: z.boolean().default(false),
          sender: z
            .object({
              proxyPort: servicePortSchema,
              instancePorts: z.array(servicePortSchema).min(1).max(16),
            })
            .optional(),
        }),
      )
      .min(1),
    initialVersion: versionSchema.default('1.0.0'),
  })
  .superRefine((options, context) => {
    const names = options.environments.map((environment) => environment.name);
    const ports = options.environments.flatMap((e) => [
      e.proxyPort,
      e.colourPorts.blue,
      e.colourPorts.green,
      ...(e.sender ? [e.sender.proxyPort, ...e.sender.instancePorts] : []),
    ]);
    if (options.controlPort !== 0) ports.push(options.controlPort);
    if (new Set(names).size !== names.length) {
      context.addIssue({
        code: 'custom',
        path: ['environments'],
        message: 'environment names must be unique',
      });
    }
    if (new Set(ports).size !== ports.length) {
      context.addIssue({ code: 'custom', path: ['environments'], message: 'every port must be different' });
    }
  });

type ValidOptions = z.infer<typeof optionsSchema>;

function validateOptions(options: DemoTargetOptions): ValidOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw new Error(`invalid demo target options: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function firstDeployment(initialVersion: string): PersistedEnvironment {
  return { activeColour: 'blue', colours: { blue: { version: initialVersion, pid: null }, green: null } };
}

const NOTHING_DEPLOYED: PersistedEnvironment = { activeColour: null, colours: { blue: null, green: null } };

/** The instances a state records, with the server each runs. */
function recordedInstances(saved: PersistedState) {
  return Object.entries(saved.environments).flatMap(([name, environment]) => [
    ...Object.entries(environment.colours).flatMap(([colour, deployment]) =>
      deployment?.pid ? [{ label: `${name}/${colour}`, pid: deployment.pid, server: SERVER }] : [],
    ),
    ...Object.entries(environment.sender?.instances ?? {}).flatMap(([instance, deployment]) =>
      deployment.pid ? [{ label: `${name}/${instance}`, pid: deployment.pid, server: SENDER_SERVER }] : [],
    ),
  ]);
}

/** A crashed agent leaves its instances running and holding their ports; clear them before spawning. */
async function killOrphans(saved: PersistedState, log: (line: string) => void): Promise<void> {
  await Promise.all(
    recordedInstances(saved).map(async ({ label, pid, server }) => {
      const outcome = await killOrphanedInstance(pid, [server.bundle, server.source], STOP_GRACE_MS);
      if (outcome === 'killed') log(`${label}: stopped instance pid ${pid} left over from a previous run`);
      if (outcome === 'not-ours') log(`${label}: recorded pid ${pid} is now another program; left alone`);
    }),
  );
}

/**
 * SIGKILL, at once, to every instance `stateFile` records that still runs one of the demo's servers:
 * for a process that gives up on stopping in order and must leave no port taken behind it.
 */
export function killRecordedInstances(stateFile: string): void {
  let saved: PersistedState | null;
  try {
    saved = readStateFileNow(stateFile);
  } catch {
    return;
  }
  for (const { pid, server } of saved ? recordedInstances(saved) : []) {
    const commandLine = readCommandLine(pid);
    if (commandLine === null || ![server.bundle, server.source].some((path) => commandLine.includes(path)))
      continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}

/** The environments as recorded, or as on a first start; every change is written to `stateFile`. */
function createEnvironments(
  ports: ValidOptions['environments'],
  saved: PersistedState | null,
  initialVersion: string,
  stateFile: string,
  log: (line: string) => void,
): {
  environments: Map<string, DemoEnvironment>;
  senders: Map<string, SenderPool>;
  configs: Map<string, EnvironmentConfig>;
  persist: () => Promise<void>;
} {
  const writer = createStateWriter(stateFile);
  const environments = new Map<string, DemoEnvironment>();
  const senders = new Map<string, SenderPool>();
  const configs = new Map<string, EnvironmentConfig>();
  const snapshotOf = (name: string, environment: DemoEnvironment): PersistedEnvironment => {
    const sender = senders.get(name);
    return { ...environment.snapshot(), ...(sender ? { sender: sender.snapshot() } : {}) };
  };
  const persist = () =>
    writer.write({
      schemaVersion: 1,
      environments: Object.fromEntries(
        [...environments].map(([name, environment]) => [name, snapshotOf(name, environment)]),
      ),
    });
  const launch = {
    serverPath: SERVER.bundle,
    service: 'edm-web',
    slotOption: '--colour' as const,
    cwd: projectRoot,
    startTimeoutMs: START_TIMEOUT_MS,
    stopGraceMs: STOP_GRACE_MS,
    log,
  };
  const senderLaunch = {
    ...launch,
    serverPath: SENDER_SERVER.bundle,
    service: 'edm-sender',
    slotOption: '--instance' as const,
  };
  for (const { name, proxyPort, colourPorts, empty, sender } of ports) {
    const recorded =
      saved?.environments[name] ?? (empty ? NOTHING_DEPLOYED : firstDeployment(initialVersion));
    const config = new EnvironmentConfig(name, configFileFor(stateFile, name));
    configs.set(name, config);
    const withConfig = { ...launch, env: { [CONFIG_FILE_ENV]: config.file } };
    environments.set(
      name,
      new DemoEnvironment(name, { proxyPort, colourPorts }, recorded, { launch: withConfig, persist, log }),
    );
    if (sender) {
      const pool = new SenderPool(name, sender, saved?.environments[name]?.sender, initialVersion, {
        launch: senderLaunch,
        persist,
        log,
      });
      senders.set(name, pool);
    }
  }
  return { environments, senders, configs, persist };
}

/** The action log lives beside the state file. */
export function actionLogFileFor(stateFile: string): string {
  return join(dirname(stateFile), 'actions.jsonl');
}

export async function startDemoTarget(options: DemoTargetOptions): Promise<DemoTarget> {
  const { controlPort, stateFile, environments: ports, initialVersion } = validateOptions(options);
  const log = options.log ?? (() => undefined);
  await bundleDemoPrograms();
  const saved = await readStateFile(stateFile);
  if (saved !== null) await killOrphans(saved, log);

  const { environments, senders, configs, persist } = createEnvironments(
    ports,
    saved,
    initialVersion,
    stateFile,
    log,
  );
  for (const config of configs.values()) await config.ensureInitialised();
  const proxies: TrafficProxy[] = [];
  const control: http.Server = createControlServer(
    environments,
    log,
    ActionLog.open(actionLogFileFor(stateFile)),
    senders,
    configs,
  );
  const shutdown = async () => {
    await closeServer(control);
    await Promise.all(proxies.map((proxy) => proxy.close()));
    await Promise.all([
      ...[...environments.values()].map((environment) => environment.shutdown()),
      ...[...senders.values()].map((sender) => sender.shutdown()),
    ]);
    await persist();
    log('demo target stopped');
  };

  let controlUrl: string;
  try {
    for (const environment of environments.values()) {
      const { proxyPort } = environment.ports;
      proxies.push(await startTrafficProxy(environment.name, proxyPort, () => environment.activeBackend()));
      log(`${environment.name}: proxy on http://127.0.0.1:${proxyPort}`);
    }
    for (const sender of senders.values()) {
      const { proxyPort } = sender.ports;
      proxies.push(
        await startPoolProxy(sender.environment, 'edm-sender', proxyPort, () => sender.nextBackend()),
      );
      log(`${sender.environment}: edm-sender proxy on http://127.0.0.1:${proxyPort}`);
    }
    await Promise.all([
      ...[...environments.values()].map((environment) => environment.startRecordedInstances()),
      ...[...senders.values()].map((sender) => sender.startRecordedInstances()),
    ]);
    await persist();
    controlUrl = `http://127.0.0.1:${await listenLocally(control, controlPort, 'control API')}`;
    log(`control API on ${controlUrl}`);
  } catch (error) {
    await shutdown();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    controlUrl,
    stop() {
      stopping ??= shutdown();
      return stopping;
    },
  };
}
