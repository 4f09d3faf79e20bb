// The configuration file of one Temporal server node of the local cluster (npm run cluster): both
// nodes share the PostgreSQL databases and find each other through the membership table there.
// Every port is on 127.0.0.1. The frontend requires client certificates from the cluster's CA;
// history and matching speak TLS to each other too (internode). Membership gossip (ringpop) has no
// TLS in Temporal: it stays on loopback, which is why the cluster binds every port there.
import { stringify } from 'yaml';

/** One Temporal service's ports on a node. */
export interface ServicePorts {
  grpc: number;
  membership: number;
}

export interface NodePorts {
  frontend: ServicePorts & { http: number };
  history: ServicePorts;
  matching: ServicePorts;
  /** Only on the node that runs Temporal's own system worker. */
  worker?: ServicePorts;
  metrics: number;
}

export interface ClusterTls {
  caFile: string;
  /** The node's certificate, for serving and for reaching other nodes (server and client usage). */
  certFile: string;
  keyFile: string;
  /** The name the certificates carry (all nodes share it: they are reached by 127.0.0.1). */
  serverName: string;
}

export interface NodeConfigOptions {
  ports: NodePorts;
  database: { host: string; port: number; user: string; password: string };
  /** History shards: fixed for the cluster's life, the same on every node. */
  historyShards: number;
  /** The frontend address the cluster metadata names (the first node's). */
  frontendAddress: string;
  dynamicConfigFile: string;
  tls: ClusterTls;
  logLevel?: string;
}

export const TEMPORAL_DATABASES = { default: 'temporal', visibility: 'temporal_visibility' } as const;
/** The most connections each Temporal service opens to each store (stack/cluster/connection-budget.ts). */
export const TEMPORAL_POOL_SIZES = { default: 20, visibility: 10 } as const;

function datastore(options: NodeConfigOptions, databaseName: string, maxConns: number) {
  const { host, port, user, password } = options.database;
  return {
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${host}:${port}`,
      connectProtocol: 'tcp',
      user,
      password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  };
}

function service(ports: ServicePorts & { http?: number }) {
  return {
    rpc: {
      grpcPort: ports.grpc,
      membershipPort: ports.membership,
      bindOnIP: '127.0.0.1',
      ...(ports.http ? { httpPort: ports.http } : {}),
    },
  };
}

function tlsSettings({ caFile, certFile, keyFile, serverName }: ClusterTls) {
  const server = { requireClientAuth: true, certFile, keyFile, clientCaFiles: [caFile] };
  const client = { serverName, rootCaFiles: [caFile] };
  return { internode: { server, client }, frontend: { server, client } };
}

/** The node's YAML: the services its ports name run on it (`server start --service …`). */
export function temporalNodeConfig(options: NodeConfigOptions): string {
  const { ports } = options;
  const services: Record<string, unknown> = {
    frontend: service(ports.frontend),
    history: service(ports.history),
    matching: service(ports.matching),
  };
  if (ports.worker) services.worker = service(ports.worker);
  return stringify({
    log: { stdout: true, level: options.logLevel ?? 'warn' },
    persistence: {
      defaultStore: 'default',
      visibilityStore: 'visibility',
      numHistoryShards: options.historyShards,
      datastores: {
        default: datastore(options, TEMPORAL_DATABASES.default, TEMPORAL_POOL_SIZES.default),
        visibility: datastore(options, TEMPORAL_DATABASES.visibility, TEMPORAL_POOL_SIZES.visibility),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      pprof: { port: 0 },
      tls: tlsSettings(options.tls),
      metrics: {
        prometheus: {
          framework: 'tally',
          timerType: 'histogram',
          listenAddress: `127.0.0.1:${ports.metrics}`,
        },
      },
    },
    services,
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: options.frontendAddress,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: options.dynamicConfigFile, pollInterval: '10s' },
  });
}

/** What Runway needs of the server beyond its defaults: workflow updates (decisions are updates). */
export function temporalDynamicConfig(extra: Record<string, unknown> = {}): string {
  const value = (setting: unknown) => [{ value: setting, constraints: {} }];
  return stringify({
    'frontend.enableUpdateWorkflowExecution': value(true),
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted': value(true),
    'frontend.enableServerVersionCheck': value(false),
    ...Object.fromEntries(Object.entries(extra).map(([key, setting]) => [key, value(setting)])),
  });
}
