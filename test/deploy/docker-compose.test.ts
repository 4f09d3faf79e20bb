// docker-compose.yml cannot be started here (no Docker engine), so this keeps it from drifting
// away from the code: every file it mounts or runs exists, the namespace job registers exactly the
// search attributes the workflows use, and it runs the topology `npm run cluster` runs — read from
// the cluster's own sources (stack/cluster/*.ts, scripts/temporal-server.json), not copied here.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { secretVariableFor } from '../../config/command-template.js';
import { API_TLS_ENV, TEMPORAL_TLS_ENV } from '../../config/environment-overrides.js';
import { loadConfig } from '../../config/load-config.js';
import { BACKUP_KEYS_ENV } from '../../security/backup-cipher.js';
import { CLUSTER_SERVER_NAME, provideClusterCertificates } from '../../stack/cluster/cluster-certificates.js';
import { connectionBudget } from '../../stack/cluster/connection-budget.js';
import {
  TEMPORAL_POOL_SIZES,
  temporalDynamicConfig,
  temporalNodeConfig,
} from '../../stack/cluster/temporal-node-config.js';
import { temporalWebConfig } from '../../stack/cluster/temporal-web.js';
import { projectRoot } from '../../stack/temporal-binaries.js';
import { WORKER_BUILD_ID_ENV } from '../../worker/worker-deployment.js';
import { RUNWAY_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { clusterTopology } from './cluster-topology.js';

interface ComposeService {
  image?: string;
  ports?: string[];
  expose?: string[];
  environment?: Record<string, string>;
  build?: string | { context: string };
  command?: string | string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  networks?: string[] | Record<string, { aliases?: string[] } | null>;
  network_mode?: string;
}

const readProjectFile = (file: string) => readFileSync(join(projectRoot, file), 'utf8');
// Compose applies YAML merge keys (`<<: *runway`), so the parse does too.
const compose = parse(readProjectFile('docker-compose.yml'), { merge: true }) as {
  services: Record<string, ComposeService>;
  networks?: Record<string, { internal?: boolean } | null>;
  volumes?: Record<string, unknown>;
};
const services = Object.entries(compose.services);
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
const dockerfile = readProjectFile('Dockerfile');
/** The stages' instructions in order, comments left out: the build, then the image that runs. */
const [buildStage = '', runtimeStage = ''] = dockerfile
  .replace(/^#.*\n/gm, '')
  .split(/^FROM /m)
  .slice(1);
const cluster = clusterTopology();
/** The frontend's gRPC port in the server image (its configuration template's default). */
const FRONTEND_PORT = 7233;

/** What compose puts in place of `${NAME:-default}` when NAME is unset; anything else as it is. */
const unsetValue = (value: string | undefined) => {
  const variable = /^\$\{\w+:-([^}]*)\}$/.exec(value ?? '');
  return variable ? variable[1] : value;
};
const imageTag = (image: string | undefined, repository: string) =>
  image?.startsWith(`${repository}:`) ? image.slice(repository.length + 1) : undefined;
const commandOf = (entry: ComposeService) => (Array.isArray(entry.command) ? entry.command : []);
const runwayRole = (role: 'api' | 'worker') =>
  services.filter(([, entry]) => commandOf(entry).join(' ') === `node dist/${role}/main.js`);
const temporalNodes = services.filter(([, entry]) => imageTag(entry.image, 'temporalio/server'));
const networksOf = (entry: ComposeService) =>
  Array.isArray(entry.networks) ? entry.networks : Object.keys(entry.networks ?? { default: null });
/** A named volume's mounts: `volume:/target[:ro]` → [volume, target]. */
const namedMounts = (entry: ComposeService) =>
  (entry.volumes ?? [])
    .map((mount) => mount.split(':'))
    .filter(([source = '']) => /^[a-z][\w-]*$/.test(source))
    .map(([source = '', target = '']) => [source, target] as const);

/** host:container of a published port; host bound to every interface unless an address is given. */
function published(entry: ComposeService) {
  return (entry.ports ?? []).map((port) => {
    const parts = port.split(':');
    const [container = '', host = '', address] = [...parts].reverse();
    return { address: address ?? '0.0.0.0', host: Number(host), container: Number(container) };
  });
}

/** deploy/compose/haproxy.cfg: each TCP listener's port and the backend servers (host, port) behind it. */
function balancerListeners() {
  const config = readProjectFile('deploy/compose/haproxy.cfg').replace(/#.*$/gm, '');
  const sections = [...config.matchAll(/^(frontend|backend) (\S+)\n((?:[ \t]+.*\n?|\s*\n)*)/gm)];
  const backends = new Map(
    sections
      .filter((section) => section[1] === 'backend')
      .map((section) => [
        section[2],
        [...(section[3] ?? '').matchAll(/^\s*server \S+ ([\w.-]+):(\d+)/gm)].map((server) => ({
          host: server[1] as string,
          port: Number(server[2]),
        })),
      ]),
  );
  return sections
    .filter((section) => section[1] === 'frontend' && !/mode http/.test(section[3] ?? ''))
    .map((section) => {
      const body = section[3] ?? '';
      return {
        port: Number(/^\s*bind \S*:(\d+)/m.exec(body)?.[1]),
        servers: backends.get(/^\s*default_backend (\S+)/m.exec(body)?.[1] ?? '') ?? [],
      };
    });
}

describe('docker-compose.yml', () => {
  it('mounts and runs only files that exist', () => {
    const missing: string[] = [];
    for (const [name, entry] of services) {
      for (const volume of entry.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (source.startsWith('./') && !existsSync(join(projectRoot, source)))
          missing.push(`${name}: ${source}`);
      }
      for (const part of commandOf(entry).filter((arg) => arg.endsWith('.ts'))) {
        if (!existsSync(join(projectRoot, part))) missing.push(`${name}: ${part}`);
      }
      // A script the container runs from a folder or file mounted from this repository.
      const commands = [entry.command, entry.healthcheck?.test].flat().filter((part) => part !== undefined);
      for (const part of commands.flatMap((command) => String(command).split(/\s+/))) {
        for (const [source = '', target = ''] of (entry.volumes ?? []).map((volume) => volume.split(':'))) {
          if (source.startsWith('./') && part.startsWith(target) && part !== target) {
            const file = join(projectRoot, source, part.slice(target.length));
            if (!existsSync(file)) missing.push(`${name}: ${part}`);
          }
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('only depends on services it defines, and every service has an image or a build', () => {
    const names = new Set(Object.keys(compose.services));
    for (const [, entry] of services) {
      expect(entry.image ?? entry.build).toBeDefined();
      for (const dependency of Object.keys(entry.depends_on ?? {})) expect(names.has(dependency)).toBe(true);
    }
    expect([...names]).toEqual(
      expect.arrayContaining([
        'certificates',
        'temporal-node-1',
        'temporal-node-2',
        'balancer',
        'temporal-ui',
        'runway-api-1',
        'runway-api-2',
        'runway-worker-1',
        'runway-worker-2',
      ]),
    );
  });

  it('registers the search attributes the workflows set', () => {
    const script = readProjectFile('deploy/compose/create-namespace.sh');
    const registered = [...script.matchAll(/for attribute in ([^;]+);[\s\S]*?--type (\w+)/g)].flatMap(
      (match) =>
        (match[1] ?? '')
          .trim()
          .split(/\s+/)
          .map((name) => [name, match[2]]),
    );
    expect(Object.fromEntries(registered)).toEqual(RUNWAY_SEARCH_ATTRIBUTES);
  });

  it('starts each service once what it needs is healthy or done', () => {
    for (const [name, entry] of services) {
      for (const [dependency, { condition }] of Object.entries(entry.depends_on ?? {})) {
        const needed = service(dependency);
        // A long-running service is waited for by its health check, a one-off job by its success.
        const expected = needed.healthcheck ? 'service_healthy' : 'service_completed_successfully';
        expect(`${name} → ${dependency}: ${condition}`).toBe(`${name} → ${dependency}: ${expected}`);
      }
    }
    const waitedOnForCompletion = new Set(
      services.flatMap(([, entry]) =>
        Object.entries(entry.depends_on ?? {})
          .filter(([, { condition }]) => condition === 'service_completed_successfully')
          .map(([dependency]) => dependency),
      ),
    );
    // Every service either has a health check, or is a job something waits on to complete.
    for (const [name, entry] of services)
      expect(entry.healthcheck !== undefined || waitedOnForCompletion.has(name), name).toBe(true);
  });
});

describe('the image runs what npm run build compiles', () => {
  it("runs Runway's services as compiled entry points, with plain node", () => {
    const runway = services.filter(([name]) => name.startsWith('runway-'));
    expect(runway.map(([name]) => name)).toEqual([
      'runway-migrate',
      'runway-worker-1',
      'runway-worker-2',
      'runway-api-1',
      'runway-api-2',
    ]);
    for (const [, entry] of runway) {
      const [program, entryPoint = '', ...rest] = commandOf(entry);
      expect([program, rest]).toEqual(['node', []]);
      // dist/api/main.js is compiled from api/main.ts.
      expect(entryPoint).toMatch(/^dist\/.+\.js$/);
      expect(existsSync(join(projectRoot, entryPoint.replace(/^dist\//, '').replace(/\.js$/, '.ts')))).toBe(
        true,
      );
      expect(entry.build).toBe('.');
    }
  });

  it('builds with npm run build, and runs neither tsx nor the TypeScript sources', () => {
    expect(buildStage).toMatch(/^RUN npm run build$/m);
    expect(runtimeStage).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(runtimeStage).not.toMatch(/tsx|\.ts\b/);
    // Where scripts/bundle-workflows.ts writes by default: workers start without bundling.
    expect(runtimeStage).toContain('RUNWAY_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js');
  });
});

describe('docker-compose.yml exposure', () => {
  it("publishes Temporal's gRPC port on this host only, where only the cluster's certificates get through", () => {
    for (const [name, entry] of services) {
      for (const port of published(entry).filter((port) => port.container === FRONTEND_PORT)) {
        expect(`${name} ${port.address}`).toBe(`${name} 127.0.0.1`);
        expect(balancerListeners().find((listener) => listener.port === port.container)?.servers).toEqual(
          temporalNodes.map(([node]) => ({ host: node, port: FRONTEND_PORT })),
        );
      }
    }
    for (const [, node] of temporalNodes) {
      expect(node.ports).toBeUndefined();
      expect(node.environment?.TEMPORAL_TLS_REQUIRE_CLIENT_AUTH).toBe('true');
    }
  });

  it('serves Temporal Web read-only, on this host only, decoding through the codec endpoint', () => {
    const ui = service('temporal-ui');
    expect(ui.environment?.TEMPORAL_DISABLE_WRITE_ACTIONS).toBe('true');
    expect(ui.environment?.TEMPORAL_CODEC_PASS_ACCESS_TOKEN).toBe('true');
    expect(ui.environment?.TEMPORAL_CODEC_ENDPOINT).toMatch(/\/codec\}?$/);
    expect(ui.ports?.length).toBeGreaterThan(0);
    for (const port of published(ui)) expect(port.address).toBe('127.0.0.1');
  });

  it('keeps the Temporal nodes on an internal network only: membership gossip has no TLS', () => {
    for (const [name, node] of temporalNodes) {
      const networks = networksOf(node);
      expect(networks, name).toHaveLength(1);
      expect(compose.networks?.[networks[0] as string]?.internal, name).toBe(true);
    }
  });
});

describe('docker-compose.yml runs the topology of npm run cluster', () => {
  it("runs the server, its schema tool and Temporal Web at scripts/temporal-server.json's pins", () => {
    expect(temporalNodes.map(([, node]) => imageTag(node.image, 'temporalio/server'))).toEqual(
      cluster.nodeServices.map(() => cluster.serverVersion),
    );
    const adminTools = services.filter(([, entry]) => entry.image?.startsWith('temporalio/admin-tools:'));
    expect(adminTools.map(([name]) => name)).toEqual(
      expect.arrayContaining(['temporal-schema', 'temporal-create-namespace']),
    );
    for (const [, job] of adminTools)
      expect(imageTag(job.image, 'temporalio/admin-tools')).toBe(cluster.serverVersion);
    expect(imageTag(service('temporal-ui').image, 'temporalio/ui')).toBe(cluster.uiVersion);
  });

  it('runs as many server nodes as the cluster, with its services split the same way', () => {
    expect(temporalNodes.map(([, node]) => node.environment?.TEMPORAL_SERVICES?.split(','))).toEqual(
      cluster.nodeServices,
    );
    for (const [, node] of temporalNodes)
      expect(Number(unsetValue(node.environment?.NUM_HISTORY_SHARDS))).toBe(cluster.historyShards);
    // The first node creates the cluster's metadata; the others join it.
    const [first, ...others] = temporalNodes.map(([name]) => name);
    for (const other of others)
      expect(service(other).depends_on?.[first ?? '']?.condition).toBe('service_healthy');
  });

  it("gives PostgreSQL room for every Temporal service's pools and every Runway process's", () => {
    const runwayProcesses = services.filter(([, entry]) =>
      String(entry.command ?? '').match(/dist\/(api|worker)\/main\.js/),
    ).length;
    for (const [, node] of temporalNodes) {
      expect(Number(node.environment?.SQL_MAX_CONNS)).toBe(TEMPORAL_POOL_SIZES.default);
      expect(Number(node.environment?.SQL_VIS_MAX_CONNS)).toBe(TEMPORAL_POOL_SIZES.visibility);
    }
    const budget = connectionBudget({
      temporalServicesPerNode: cluster.nodeServices.map((names) => names.length),
      runwayProcesses: runwayProcesses + 2,
    });
    const limit = /max_connections=(\d+)/.exec(String(service('postgresql').command))?.[1];
    expect(Number(limit)).toBeGreaterThanOrEqual(budget);
  });

  it("requires a client certificate of the cluster's CA at the frontends, and TLS between the nodes", () => {
    const files = { caFile: 'ca.pem', certFile: 'node.pem', keyFile: 'node.key', serverName: 'name' };
    const servicePorts = { grpc: 1, membership: 2 };
    const nodeConfig = parse(
      temporalNodeConfig({
        ports: {
          frontend: { ...servicePorts, http: 3 },
          history: servicePorts,
          matching: servicePorts,
          metrics: 4,
        },
        database: { host: 'db', port: 5432, user: 'temporal', password: 'secret' },
        historyShards: cluster.historyShards,
        frontendAddress: 'node:1',
        dynamicConfigFile: 'dynamic.yaml',
        tls: files,
      }),
    ).global.tls;
    const { frontend, internode } = nodeConfig;
    // The image's template takes one switch for both; the cluster sets both the same way.
    expect(internode.server.requireClientAuth).toBe(frontend.server.requireClientAuth);
    // Which file each of the cluster's settings names, as the template's variables carry them.
    const roleOf = (path: string) => Object.entries(files).find(([, file]) => file === path)?.[0];
    const expected = {
      TEMPORAL_TLS_REQUIRE_CLIENT_AUTH: String(frontend.server.requireClientAuth),
      TEMPORAL_TLS_FRONTEND_CERT: roleOf(frontend.server.certFile),
      TEMPORAL_TLS_FRONTEND_KEY: roleOf(frontend.server.keyFile),
      TEMPORAL_TLS_CLIENT1_CA_CERT: roleOf(frontend.server.clientCaFiles[0]),
      TEMPORAL_TLS_CLIENT2_CA_CERT: roleOf(frontend.server.clientCaFiles[0]),
      TEMPORAL_TLS_FRONTEND_SERVER_NAME: CLUSTER_SERVER_NAME,
      TEMPORAL_TLS_SERVER_CERT: roleOf(internode.server.certFile),
      TEMPORAL_TLS_SERVER_KEY: roleOf(internode.server.keyFile),
      TEMPORAL_TLS_SERVER_CA_CERT: roleOf(internode.client.rootCaFiles[0]),
      TEMPORAL_TLS_INTERNODE_SERVER_NAME: CLUSTER_SERVER_NAME,
    };
    expect(expected.TEMPORAL_TLS_REQUIRE_CLIENT_AUTH).toBe('true');
    const nodeFiles = {
      caFile: '/etc/temporal/tls/ca.pem',
      certFile: '/etc/temporal/tls/temporal-node.pem',
      keyFile: '/etc/temporal/tls/temporal-node.key',
    };
    for (const [name, node] of temporalNodes) {
      const env = node.environment ?? {};
      const actual = Object.fromEntries(
        Object.keys(expected).map((variable) => {
          const value = env[variable];
          const role = Object.entries(nodeFiles).find(([, file]) => file === value)?.[0];
          return [variable, role ?? value];
        }),
      );
      expect(actual, name).toEqual(expected);
    }
  });

  it('gives the nodes the dynamic configuration the cluster gives its nodes', () => {
    const composeSettings = parse(readProjectFile('deploy/compose/dynamicconfig/runway.yaml'));
    expect(composeSettings).toMatchObject(parse(temporalDynamicConfig()));
    for (const [, node] of temporalNodes) {
      expect(node.environment?.DYNAMIC_CONFIG_FILE_PATH).toBe(
        '/etc/temporal/config/dynamicconfig/runway.yaml',
      );
      expect(node.volumes).toContain('./deploy/compose/dynamicconfig:/etc/temporal/config/dynamicconfig:ro');
    }
  });

  it("creates the cluster's namespace, with its retention", () => {
    const job = service('temporal-create-namespace');
    expect(job.environment?.DEFAULT_NAMESPACE).toBe(cluster.namespace);
    expect(readProjectFile('deploy/compose/create-namespace.sh')).toMatch(
      new RegExp(`namespace create -n "\\$ns" --retention ${cluster.retentionDays}d`),
    );
  });

  it("runs the cluster's number of workers and API replicas, each with Runway's client certificate", () => {
    const workers = runwayRole('worker');
    const apis = runwayRole('api');
    expect(workers).toHaveLength(cluster.workers);
    expect(apis).toHaveLength(cluster.apiReplicas);
    for (const [name, entry] of [...workers, ...apis]) {
      const env = entry.environment ?? {};
      // The variables config/environment-overrides.ts reads.
      for (const variable of Object.values(TEMPORAL_TLS_ENV))
        expect(env[variable], `${name} ${variable}`).toBeTruthy();
      expect(env[TEMPORAL_TLS_ENV.serverName]).toBe(CLUSTER_SERVER_NAME);
      // Through the balancer: the name it answers to, and a port it forwards to the frontends.
      const [host, port] = (env.RUNWAY_TEMPORAL_ADDRESS ?? '').split(':');
      expect(aliasesOf('balancer')).toContain(host);
      expect(balancerListeners().find((listener) => listener.port === Number(port))?.servers).toEqual(
        temporalNodes.map(([node]) => ({ host: node, port: FRONTEND_PORT })),
      );
    }
    // One build for all the workers, made current by the job that waits for them.
    const builds = new Set(workers.map(([, entry]) => entry.environment?.[WORKER_BUILD_ID_ENV]));
    expect(builds.size).toBe(1);
    const [build] = builds;
    expect(build).toMatch(/^\$\{RUNWAY_BUILD_ID:-[A-Za-z0-9][A-Za-z0-9._-]*\}$/);
    const current = service('temporal-current-build');
    expect(current.environment?.RUNWAY_BUILD_ID).toBe(build);
    expect(Object.keys(current.depends_on ?? {}).sort()).toEqual(workers.map(([name]) => name).sort());
    // The API's own HTTPS: read by the replicas when set, plain HTTP when not.
    for (const [name, entry] of apis) {
      for (const variable of Object.values(API_TLS_ENV))
        expect(entry.environment?.[variable], `${name} ${variable}`).toBe(`\${${variable}:-}`);
    }
  });

  it('puts one address in front of the frontends and one port in front of the API replicas', () => {
    const apis = runwayRole('api');
    const apiPorts = new Set(apis.map(([, entry]) => Number(entry.environment?.RUNWAY_API_PORT)));
    expect(apiPorts.size).toBe(1);
    const [apiPort] = apiPorts;
    const listeners = balancerListeners();
    expect(listeners).toEqual([
      { port: FRONTEND_PORT, servers: temporalNodes.map(([node]) => ({ host: node, port: FRONTEND_PORT })) },
      { port: apiPort, servers: apis.map(([name]) => ({ host: name, port: apiPort })) },
    ]);
    // Clients and the balancer meet on the default network; the nodes are only behind it.
    expect(networksOf(service('balancer')).sort()).toEqual([
      'default',
      ...networksOf(temporalNodes[0]?.[1] ?? {}),
    ]);
  });

  it("publishes the cluster's ports: Temporal and Temporal Web on this host, the API everywhere", () => {
    const balancer = published(service('balancer'));
    const apiPort = Number(runwayRole('api')[0]?.[1].environment?.RUNWAY_API_PORT);
    expect(balancer).toEqual([
      { address: '127.0.0.1', host: cluster.ports.temporal, container: FRONTEND_PORT },
      { address: '0.0.0.0', host: cluster.ports.api, container: apiPort },
    ]);
    expect(published(service('temporal-ui'))).toEqual([
      { address: '127.0.0.1', host: cluster.ports.web, container: 8080 },
    ]);
    // PostgreSQL is reached on the compose networks only; the cluster's listens on 127.0.0.1 because
    // its processes have no network of their own.
    expect(service('postgresql').ports).toBeUndefined();
    // What Runway links to and Temporal Web calls: the published addresses.
    const webUrl = unsetValue(runwayRole('api')[0]?.[1].environment?.RUNWAY_TEMPORAL_WEB_URL);
    expect(webUrl).toBe(`http://localhost:${cluster.ports.web}`);
    const codec = unsetValue(service('temporal-ui').environment?.TEMPORAL_CODEC_ENDPOINT);
    expect(codec).toBe(`http://localhost:${cluster.ports.api}/codec`);
  });

  it("serves Temporal Web as the cluster's: read-only, over mTLS with its own certificate", () => {
    const webConfig = parse(
      temporalWebConfig({
        uiServer: 'ui-server',
        stateDir: 'state',
        port: cluster.ports.web ?? 0,
        temporalAddress: 'temporal:7233',
        namespace: cluster.namespace,
        tls: { caFile: 'ca.pem', certFile: 'web.pem', keyFile: 'web.key', serverName: CLUSTER_SERVER_NAME },
        codecEndpoint: 'codec',
      }),
    ) as Record<string, unknown> & { tls: Record<string, unknown> };
    // Each switch by its variable in the image's configuration template: disableWriteActions is
    // TEMPORAL_DISABLE_WRITE_ACTIONS, workflowResetDisabled TEMPORAL_WORKFLOW_RESET_DISABLED.
    const variableOf = (key: string) =>
      `TEMPORAL_${key.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}`;
    const switches = Object.entries(webConfig).filter(([key]) => /^disable|Disabled$/.test(key));
    expect(switches.length).toBeGreaterThan(5);
    const env = service('temporal-ui').environment ?? {};
    for (const [key, value] of switches) expect(env[variableOf(key)], key).toBe(String(value));
    expect(env.TEMPORAL_DISABLE_WRITE_ACTIONS).toBe('true');
    expect(env.TEMPORAL_DEFAULT_NAMESPACE).toBe(webConfig.defaultNamespace);
    expect(unsetValue(env.TEMPORAL_CORS_ORIGINS)?.split(',')).toEqual(
      (webConfig.cors as { allowOrigins: string[] }).allowOrigins,
    );
    expect(env.TEMPORAL_TLS_SERVER_NAME).toBe(webConfig.tls.serverName);
    expect(env.TEMPORAL_TLS_ENABLE_HOST_VERIFICATION).toBe(String(webConfig.tls.enableHostVerification));
    for (const variable of ['TEMPORAL_TLS_CA', 'TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY'])
      expect(env[variable], variable).toMatch(/^\/.+\.(pem|key)$/);
    expect(aliasesOf('balancer')).toContain(env.TEMPORAL_ADDRESS?.split(':')[0]);
  });

  it('scrapes every API replica and worker, with the shared rules', () => {
    const scrape = parse(readProjectFile('deploy/compose/prometheus.yml')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = (job: string) =>
      scrape.scrape_configs
        .find((config) => config.job_name === job)
        ?.static_configs.flatMap((c) => c.targets);
    const metricsPort = (entry: ComposeService, variable: string) =>
      entry.environment?.[variable]?.split(':').pop();
    expect(targets('runway-api')).toEqual(
      runwayRole('api').map(([name, entry]) => `${name}:${metricsPort(entry, 'RUNWAY_API_METRICS_LISTEN')}`),
    );
    expect(targets('runway-worker')).toEqual(
      runwayRole('worker').map(
        ([name, entry]) => `${name}:${metricsPort(entry, 'RUNWAY_WORKER_METRICS_LISTEN')}`,
      ),
    );
    expect(scrape.rule_files).toEqual(parse(readProjectFile('deploy/prometheus/prometheus.yml')).rule_files);
    expect(service('prometheus').volumes).toEqual(
      expect.arrayContaining([
        './deploy/compose/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
        './deploy/prometheus/rules:/etc/prometheus/rules:ro',
      ]),
    );
  });
});

function aliasesOf(name: string): string[] {
  const networks = service(name).networks;
  const aliases = Array.isArray(networks)
    ? []
    : Object.values(networks ?? {}).flatMap((network) => network?.aliases ?? []);
  return [name, ...aliases];
}

describe("docker-compose.yml's certificates", () => {
  const run = promisify(execFile);
  let dir: string;
  let composeRoot: string;
  let clusterDir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runway-compose-tls-'));
    composeRoot = join(dir, 'compose');
    clusterDir = join(dir, 'cluster');
    const env = {
      ...process.env,
      ...service('certificates').environment,
      TLS_ROOT: composeRoot,
      // Where the job's files would be chowned to the images' user: here, to whoever runs the test.
      CERTIFICATE_OWNER: `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`,
    };
    await run('sh', [join(projectRoot, 'deploy/compose/create-certificates.sh')], { env });
    await run('sh', [join(projectRoot, 'deploy/compose/create-certificates.sh')], { env });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A named volume → the folder the certificates job writes it as, under TLS_ROOT. */
  const volumeFolders = () =>
    new Map(
      namedMounts(service('certificates')).map(([volume, target]) => [
        volume,
        target.replace(/^\/tls\//, ''),
      ]),
    );

  it("issues what the cluster's CA issues: the same names and usages", async () => {
    const issued = await provideClusterCertificates(clusterDir);
    const read = (file: string) => new X509Certificate(readFileSync(file));
    const describeCertificate = (file: string) => {
      const certificate = read(file);
      return {
        subject: certificate.subject,
        subjectAltName: certificate.subjectAltName,
        extendedKeyUsage: certificate.keyUsage,
        ca: certificate.ca,
      };
    };
    const composeCa = read(join(composeRoot, 'authority/ca.pem'));
    expect(describeCertificate(join(composeRoot, 'authority/ca.pem'))).toEqual(
      describeCertificate(issued.node.caFile),
    );
    const pairs = {
      'temporal-node/temporal-node': issued.node,
      'runway/runway': issued.runway,
      'temporal-admin/admin': issued.admin,
      'temporal-web/temporal-web': issued.web,
    };
    for (const [stem, theirs] of Object.entries(pairs)) {
      const ours = join(composeRoot, `${stem}.pem`);
      expect(describeCertificate(ours), stem).toEqual(describeCertificate(theirs.certFile));
      expect(read(ours).verify(composeCa.publicKey), stem).toBe(true);
      expect(statSync(join(composeRoot, `${stem}.key`)).mode & 0o777, stem).toBe(0o600);
    }
    expect(read(join(composeRoot, 'temporal-node/temporal-node.pem')).subjectAltName).toContain(
      `DNS:${CLUSTER_SERVER_NAME}`,
    );
    expect(service('certificates').environment?.CLUSTER_SERVER_NAME).toBe(CLUSTER_SERVER_NAME);
  });

  it('keeps the CA across runs, so what it issued before stays trusted', () => {
    // beforeAll ran the job twice: the certificates of the second run verify against the first CA.
    const ca = new X509Certificate(readFileSync(join(composeRoot, 'authority/ca.pem')));
    const runway = new X509Certificate(readFileSync(join(composeRoot, 'runway/runway.pem')));
    expect(runway.verify(ca.publicKey)).toBe(true);
    expect(readFileSync(join(composeRoot, 'runway/ca.pem'), 'utf8')).toBe(ca.toString());
  });

  it("gives every service the files it is pointed at, in a volume of the job's, and no other key", () => {
    const folders = volumeFolders();
    const authority = [...folders].find(([, folder]) => folder === 'authority')?.[0];
    for (const [name, entry] of services) {
      if (name === 'certificates') continue;
      const mounts = namedMounts(entry).filter(([volume]) => folders.has(volume));
      // The CA's key signs certificates every node trusts: it stays with the job.
      expect(
        mounts.map(([volume]) => volume),
        name,
      ).not.toContain(authority);
      const paths = Object.values(entry.environment ?? {}).filter((value) => /^\/.+\.(pem|key)$/.test(value));
      const used = new Set<string>();
      for (const path of paths) {
        const mount = mounts.find(([, target]) => path.startsWith(`${target}/`));
        expect(mount, `${name}: ${path} is in no volume of the certificates job`).toBeDefined();
        const [volume, target] = mount ?? ['', ''];
        used.add(volume);
        const file = join(composeRoot, folders.get(volume) ?? '', path.slice(target.length + 1));
        expect(existsSync(file), `${name}: ${path}`).toBe(true);
      }
      // The set-up jobs name the admin's files in their scripts, by the folder TLS_DIR gives.
      const tlsDir = entry.environment?.TLS_DIR;
      if (tlsDir) {
        const mount = mounts.find(([, target]) => target === tlsDir);
        expect(mount, `${name}: TLS_DIR`).toBeDefined();
        used.add(mount?.[0] ?? '');
        const volumeFolder = join(composeRoot, folders.get(mount?.[0] ?? '') ?? '');
        for (const file of ['ca.pem', 'admin.pem', 'admin.key'])
          expect(existsSync(join(volumeFolder, file)), `${name}: ${file}`).toBe(true);
      }
      // Nothing mounted that the service does not use: a worker holds no node's or admin's key.
      expect(
        mounts.map(([volume]) => volume).filter((volume) => !used.has(volume)),
        name,
      ).toEqual([]);
    }
  });
});

describe("Runway's health check in docker-compose.yml", () => {
  const run = promisify(execFile);
  const script = join(projectRoot, 'deploy/compose/runway-healthcheck.mjs');

  it('runs the mounted script, for the role the service runs', () => {
    for (const role of ['api', 'worker'] as const) {
      for (const [name, entry] of runwayRole(role)) {
        expect(entry.healthcheck?.test, name).toEqual(['CMD', 'node', '/etc/runway/healthcheck.mjs', role]);
        expect(entry.volumes, name).toContain(
          './deploy/compose/runway-healthcheck.mjs:/etc/runway/healthcheck.mjs:ro',
        );
      }
    }
  });

  it("is healthy when the API's /readyz or the worker's /metrics answers 200, not otherwise", async () => {
    let status = 200;
    const seen: string[] = [];
    const server = createServer((request, response) => {
      seen.push(request.url ?? '');
      response.writeHead(status).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const check = (role: string, env: NodeJS.ProcessEnv) =>
      run(process.execPath, [script, role], { env: { PATH: process.env.PATH, ...env } }).then(
        () => 0,
        (error: { code?: number }) => error.code ?? 1,
      );
    try {
      expect(await check('api', { RUNWAY_API_PORT: String(port) })).toBe(0);
      expect(await check('worker', { RUNWAY_WORKER_METRICS_LISTEN: `0.0.0.0:${port}` })).toBe(0);
      status = 503;
      expect(await check('api', { RUNWAY_API_PORT: String(port) })).toBe(1);
      expect(seen).toEqual(['/readyz', '/metrics', '/readyz']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('release backups in docker-compose.yml (R-RB-DB)', () => {
  it('runs the PostgreSQL major version whose pg_dump and pg_restore the image installs', () => {
    const server = /^postgres:(\d+)(?:[.-]|$)/.exec(service('postgresql').image ?? '')?.[1];
    const client = /postgresql-client-(\d+)/.exec(dockerfile)?.[1];
    expect(server).toBe('15');
    // pg_dump must be at least the server's major version; the same keeps restores plain.
    expect(client).toBe(server);
    expect(dockerfile).toContain(`RUNWAY_PG_BIN=/usr/lib/postgresql/${client}/bin`);
  });

  it('gives the workers the backup key and every service database the configuration names, documented', async () => {
    const config = await loadConfig();
    const variables = [BACKUP_KEYS_ENV];
    for (const [name, entry] of Object.entries(config.services)) {
      if (!entry.database) continue;
      for (const environment of Object.values(config.environments)) {
        if (environment.services[name])
          variables.push(secretVariableFor(entry.database.urlEnv, environment.name));
      }
    }
    expect(variables).toContain('EDM_WEB_PRODUCTION_DATABASE_URL');
    const example = readProjectFile('deploy/compose/env.example');
    const workers = runwayRole('worker');
    expect(workers.length).toBeGreaterThan(0);
    // What every API replica gets but its own port and HTTPS.
    const apiOnly = new Set(['RUNWAY_API_PORT', ...Object.values(API_TLS_ENV)]);
    const shared = Object.fromEntries(
      Object.entries(runwayRole('api')[0]?.[1].environment ?? {}).filter(
        ([variable]) => !apiOnly.has(variable),
      ),
    );
    for (const [, entry] of workers) {
      const worker = entry.environment ?? {};
      for (const variable of variables) {
        expect(worker[variable]).toMatch(new RegExp(`^\\$\\{${variable}:`));
        expect(example).toMatch(new RegExp(`^${variable}=$`, 'm'));
      }
      expect(worker).toMatchObject(shared);
    }
  });
});

describe('deploy/compose/env.example', () => {
  it('lists every variable docker-compose.yml reads', () => {
    const read = new Set(
      [...readProjectFile('docker-compose.yml').matchAll(/\$\{(\w+)(?::?[-?][^}]*)?\}/g)].map((m) => m[1]),
    );
    const listed = new Set(
      [...readProjectFile('deploy/compose/env.example').matchAll(/^(\w+)=/gm)].map((m) => m[1]),
    );
    expect([...read].filter((variable) => !listed.has(variable))).toEqual([]);
  });
});
