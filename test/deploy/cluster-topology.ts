// What `npm run cluster` runs, read from its own sources (stack/cluster/*.ts) for the tests that hold
// docker-compose.yml to it. Read, not imported, where the value is a module's private constant or
// lives in start-cluster.ts (importing it would start the cluster). A source that no longer has the
// expected shape fails here by name, rather than the comparison passing on a stale copy.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../stack/temporal-binaries.js';

export interface ClusterTopology {
  /** The ports start-cluster.ts defaults to, by what listens there. */
  ports: Record<string, number>;
  /** Each node's Temporal services, first node first. */
  nodeServices: string[][];
  historyShards: number;
  workers: number;
  apiReplicas: number;
  namespace: string;
  retentionDays: number;
  /** The server and Temporal Web versions the cluster builds (scripts/temporal-server.json). */
  serverVersion: string;
  uiVersion: string;
}

function source(file: string): string {
  return readFileSync(join(projectRoot, file), 'utf8');
}

function match(file: string, text: string, pattern: RegExp): RegExpMatchArray {
  const found = text.match(pattern);
  if (!found) throw new Error(`${file} no longer matches ${pattern}: update test/deploy/cluster-topology.ts`);
  return found;
}

export function clusterTopology(): ClusterTopology {
  const startFile = 'stack/cluster/start-cluster.ts';
  const start = source(startFile);
  const portsBlock = match(startFile, start, /const PORTS = \{([^}]*)\}/)[1] ?? '';
  const ports = Object.fromEntries(
    [...portsBlock.matchAll(/(\w+): Number\(process\.env\.\w+ \?\? (\d+)\)/g)].map((entry) => [
      entry[1],
      Number(entry[2]),
    ]),
  );
  if (Object.keys(ports).length === 0) throw new Error(`${startFile}: no default port found in PORTS`);

  const clusterFile = 'stack/cluster/temporal-cluster.ts';
  const cluster = source(clusterFile);
  const nodeCount = Number(match(clusterFile, cluster, /const NODE_COUNT = (\d+);/)[1]);
  // `['frontend', …, ...(ports.worker ? ['worker'] : [])]`: the last only on a node given its ports.
  const [, always = '', optionalPort = '', optional = ''] = match(
    clusterFile,
    cluster,
    /const services = \[([^\]]*?),\s*\.\.\.\(ports\.(\w+) \? \[([^\]]*)\] : \[\]\)\];/,
  );
  const names = (list: string) => [...list.matchAll(/'(\w+)'/g)].map((entry) => entry[1] as string);
  // portsFor(true) gives a node the optional service's ports; only the first node's are made so.
  match(clusterFile, cluster, new RegExp(`\\(withWorker \\? \\{ ${optionalPort}: await service\\(\\) \\}`));
  match(clusterFile, cluster, /allPorts = \[\s*await portsFor\(true\),[^\]]*portsFor\(false\)/);
  const nodeServices = Array.from({ length: nodeCount }, (_, index) =>
    index === 0 ? [...names(always), ...names(optional)] : names(always),
  );

  const stackFile = 'stack/cluster/cluster-stack.ts';
  const stack = source(stackFile);
  const pins = JSON.parse(source('scripts/temporal-server.json')) as {
    server: { version: string };
    ui: { version: string };
  };
  return {
    ports,
    nodeServices,
    historyShards: Number(match(clusterFile, cluster, /const HISTORY_SHARDS = (\d+);/)[1]),
    workers: Number(match(stackFile, stack, /options\.workers \?\? (\d+)/)[1]),
    apiReplicas: Number(match(stackFile, stack, /options\.apiReplicas \?\? (\d+)/)[1]),
    namespace: match(clusterFile, cluster, /options\.namespace \?\? '([\w-]+)'/)[1] as string,
    retentionDays: Number(
      match(clusterFile, cluster, /workflowExecutionRetentionPeriod: msToTs\('(\d+) days'\)/)[1],
    ),
    // Image tags carry no `v`: the module version v1.31.2 is temporalio/server:1.31.2.
    serverVersion: pins.server.version.replace(/^v/, ''),
    uiVersion: pins.ui.version.replace(/^v/, ''),
  };
}
