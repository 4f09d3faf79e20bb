// A Temporal cluster of two server nodes on one PostgreSQL: each node runs frontend, history and
// matching (the first also Temporal's system worker); a TCP balancer gives clients one address.
// Shards are spread over the nodes through the membership table; when a node dies its shards move
// to the other, and every workflow stays, since all state is in PostgreSQL.
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Connection, type TLSConfig } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { freePortBelowEphemeral } from '../free-port.js';
import { recordWhileRunning, spawnServer } from '../owned-processes.js';
import { type DevServerSearchAttributeType, ensureSearchAttributes } from '../temporal-dev-server.js';
import type { ServerBinaries } from './server-binaries.js';
import { startTcpBalancer, type TcpBalancer } from './tcp-balancer.js';
import {
  type ClusterTls,
  type NodePorts,
  temporalDynamicConfig,
  temporalNodeConfig,
} from './temporal-node-config.js';
import { setUpTemporalSchemas, type TemporalDatabaseLogin } from './temporal-schema.js';

export interface ClusterNode {
  name: string;
  /** The node's own frontend, host:port. */
  frontend: string;
  /** Its history service, host:port: how a shard's record names its owner. */
  historyAddress: string;
  pid: number | undefined;
  /** SIGTERM, then SIGKILL after a grace. */
  stop(): Promise<void>;
  /** kill -9, as a machine that dies. */
  kill(): Promise<void>;
  /** Starts it again on the same ports (after stop or kill). */
  restart(): Promise<void>;
}

export interface TemporalCluster {
  /** The balancer's address: what workers, APIs and tools connect to. */
  address: string;
  namespace: string;
  nodes: ClusterNode[];
  balancer: TcpBalancer;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  stateDir: string;
  binaries: ServerBinaries;
  database: TemporalDatabaseLogin;
  /** The nodes' certificate and the CA whose client certificates the frontends accept. */
  tls: ClusterTls;
  /** A client certificate for setting up the namespace (the cluster's own tools' identity). */
  adminClient: { certFile: string; keyFile: string };
  namespace?: string;
  searchAttributes?: Record<string, DevServerSearchAttributeType>;
  /** Dynamic configuration beyond Runway's needs (shorter drainage checks in tests, say). */
  dynamicConfig?: Record<string, unknown>;
  /** Fixed balancer port (npm run cluster: 7300); 0 or absent for a free one. */
  port?: number;
  pidsDir?: string;
  log?: (line: string) => void;
}

const NODE_COUNT = 2;
const HISTORY_SHARDS = 8;
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

async function portsFor(withWorker: boolean): Promise<NodePorts> {
  const service = async () => ({
    grpc: await freePortBelowEphemeral(),
    membership: await freePortBelowEphemeral(),
  });
  return {
    frontend: { ...(await service()), http: await freePortBelowEphemeral() },
    history: await service(),
    matching: await service(),
    ...(withWorker ? { worker: await service() } : {}),
    metrics: await freePortBelowEphemeral(),
  };
}

/** The client side of the cluster's mutual TLS, for the SDK. */
export async function clusterClientTls(
  tls: Pick<ClusterTls, 'caFile' | 'serverName'>,
  client: { certFile: string; keyFile: string },
): Promise<TLSConfig> {
  return {
    serverNameOverride: tls.serverName,
    serverRootCACertificate: await readFile(tls.caFile),
    clientCertPair: { crt: await readFile(client.certFile), key: await readFile(client.keyFile) },
  };
}

async function waitUntilServing(address: string, tls: TLSConfig, child: ChildProcess, logFile: string) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `Temporal node exited while starting (${child.exitCode ?? child.signalCode}); see ${logFile}`,
      );
    }
    try {
      const connection = await Connection.connect({ address, tls, connectTimeout: 2_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await delay(250);
    }
  }
  throw new Error(
    `Temporal node at ${address} not serving within ${READY_TIMEOUT_MS / 1000} s: ${String(lastError)}`,
  );
}

async function startNode(
  name: string,
  options: ClusterOptions,
  ports: NodePorts,
  frontendAddress: string,
  clientTls: TLSConfig,
): Promise<ClusterNode> {
  const dir = join(options.stateDir, name);
  mkdirSync(dir, { recursive: true });
  const dynamicConfigFile = join(dir, 'dynamic-config.yaml');
  writeFileSync(dynamicConfigFile, temporalDynamicConfig(options.dynamicConfig));
  const configFile = join(dir, 'config.yaml');
  writeFileSync(
    configFile,
    temporalNodeConfig({
      ports,
      database: options.database,
      historyShards: HISTORY_SHARDS,
      frontendAddress,
      dynamicConfigFile,
      tls: options.tls,
    }),
    { mode: 0o600 },
  );
  const services = ['frontend', 'history', 'matching', ...(ports.worker ? ['worker'] : [])];
  const logFile = join(dir, 'server.log');
  const frontend = `127.0.0.1:${ports.frontend.grpc}`;
  let child: ChildProcess | undefined;
  const launch = async () => {
    const output = createWriteStream(logFile, { flags: 'a' });
    child = spawnServer(
      options.binaries.server,
      ['--config-file', configFile, '--allow-no-auth', 'start', ...services.flatMap((s) => ['--service', s])],
      { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir },
      'SIGKILL',
    );
    child.stdout?.pipe(output);
    child.stderr?.pipe(output);
    if (options.pidsDir)
      recordWhileRunning(
        join(options.pidsDir, `temporal-${name}.json`),
        child,
        `Temporal ${name}`,
        'SIGTERM',
      );
    try {
      await waitUntilServing(frontend, clientTls, child, logFile);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
  };
  const exited = (signal: NodeJS.Signals, graceMs: number) => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const force = setTimeout(() => running.kill('SIGKILL'), graceMs);
      running.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      running.kill(signal);
    });
  };
  const node: ClusterNode = {
    name,
    frontend,
    historyAddress: `127.0.0.1:${ports.history.grpc}`,
    get pid() {
      return child?.pid;
    },
    stop: () => exited('SIGTERM', STOP_GRACE_MS),
    kill: () => exited('SIGKILL', 0),
    restart: launch,
  };
  await launch();
  return node;
}

async function registerNamespace(
  address: string,
  tls: TLSConfig,
  namespace: string,
  attributes: ClusterOptions['searchAttributes'],
) {
  const connection = await Connection.connect({ address, tls });
  try {
    try {
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs('30 days'),
      });
    } catch (error) {
      if (!/already exists/i.test(String(error))) throw error;
    }
    // A namespace just registered is not known to every frontend at once: retry for a while.
    for (let attempt = 0; ; attempt++) {
      try {
        await ensureSearchAttributes(connection, namespace, attributes ?? {});
        return;
      } catch (error) {
        if (attempt >= 40 || !/not found/i.test(String(error))) throw error;
        await delay(250);
      }
    }
  } finally {
    await connection.close();
  }
}

/** Schemas, two nodes, the balancer, the namespace and its search attributes. */
export async function startTemporalCluster(options: ClusterOptions): Promise<TemporalCluster> {
  const log = options.log ?? (() => {});
  const namespace = options.namespace ?? 'default';
  await setUpTemporalSchemas(options.binaries, options.database);
  const clientTls = await clusterClientTls(options.tls, options.adminClient);
  const nodes: ClusterNode[] = [];
  let balancer: TcpBalancer | undefined;
  const stop = async () => {
    await balancer?.close();
    await Promise.all(nodes.map((node) => node.stop()));
  };
  try {
    const allPorts = [
      await portsFor(true),
      ...(await Promise.all(Array.from({ length: NODE_COUNT - 1 }, () => portsFor(false)))),
    ];
    const firstFrontend = `127.0.0.1:${allPorts[0]?.frontend.grpc}`;
    for (const [index, ports] of allPorts.entries()) {
      // One after the other: the first node creates the cluster's metadata; the others join it.
      const node = await startNode(`node-${index + 1}`, options, ports, firstFrontend, clientTls);
      nodes.push(node);
      log(`Temporal ${node.name} serving on ${node.frontend}`);
    }
    balancer = await startTcpBalancer(
      nodes.map((node) => {
        const [host, port] = node.frontend.split(':');
        return { host: host as string, port: Number(port) };
      }),
      options.port ?? 0,
    );
    await registerNamespace(balancer.address, clientTls, namespace, options.searchAttributes);
    return { address: balancer.address, namespace, nodes, balancer, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
