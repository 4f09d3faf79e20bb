// Production runs what `npm run build` compiles, with plain node (Dockerfile, docker-compose.yml).
// This builds it into a folder of its own inside the project, where compiled modules still find
// config/ and runbooks/ by walking up, and runs it without tsx: the migration job against a real
// PostgreSQL, then the API and a worker against that and a Temporal server.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { execa } from 'execa';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load-config.js';
import { applicationUrl } from '../../db/application-role.js';
import { BACKUP_KEYS_ENV } from '../../security/backup-cipher.js';
import { DECISION_KEYS_ENV } from '../../security/decision-signature.js';
import { type RunningPostgres, startEmbeddedPostgres } from '../../stack/embedded-postgres.js';
import { getFreePort } from '../../stack/free-port.js';
import { projectRoot } from '../../stack/temporal-binaries.js';
import { type DevServer, startTemporalDevServer } from '../../stack/temporal-dev-server.js';
import { waitUntilAnswers } from '../../stack/wait-until-answers.js';
import { RELEASE_WORKFLOW_BUNDLE } from '../../worker/create-release-worker.js';
import { RUNWAY_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { testPayloadKeyEnv } from '../support/payload-keys.js';
import { type RunwayProcess, spawnRunway } from '../support/runway-process.js';
import { TEST_BACKUP_KEY_ENTRY } from '../support/runway-stack.js';
import { TEST_DECISION_KEY_ENTRY } from '../support/signed-decisions.js';

const START_TIMEOUT_MS = 30_000;
/** What production runs (docker-compose.yml, docs/operations.md), in the output folder. */
const ENTRY_POINTS = [
  'api/main.js',
  'worker/main.js',
  'db/migrate-main.js',
  'scripts/restore-backup.js',
  'cli/main.js',
];
/** Nothing of the test runner's environment: what a container gets, and no more. */
const BARE_ENV = { PATH: process.env.PATH, HOME: process.env.HOME };

let out: string;
let scratch: string;
let bundle: string;
let postgres: RunningPostgres | undefined;
let temporal: DevServer | undefined;
/** runway_app's, with the login the migration job gave it. */
let appUrl: string;
const started: RunwayProcess[] = [];

/**
 * The steps of `npm run build` after the type check: dist/ by its script, and the workflow bundle
 * (scripts/bundle-workflows.ts's call, made here to spare a tsx start), beside rather than inside.
 */
async function build(): Promise<void> {
  await Promise.all([
    execa(process.execPath, ['--import', 'tsx', 'scripts/build-dist.ts', out], { cwd: projectRoot }),
    bundleWorkflowCode(RELEASE_WORKFLOW_BUNDLE).then(({ code }) => writeFile(bundle, code)),
  ]);
}

beforeAll(async () => {
  out = await mkdtemp(join(projectRoot, '.runway', 'dist-build-'));
  scratch = await mkdtemp(join(tmpdir(), 'runway-dist-build-'));
  bundle = join(scratch, 'workflow-bundle.js');
  const postgresOptions = {
    dataDir: join(scratch, 'postgres'),
    port: await getFreePort(),
    database: 'runway',
  };
  const temporalOptions = {
    port: await getFreePort(),
    headless: true,
    searchAttributes: RUNWAY_SEARCH_ATTRIBUTES,
    logFile: join(scratch, 'temporal.log'),
  };
  await Promise.all([
    build(),
    startEmbeddedPostgres(postgresOptions).then((running) => {
      postgres = running;
    }),
    startTemporalDevServer(temporalOptions).then((running) => {
      temporal = running;
    }),
  ]);
});

afterAll(async () => {
  for (const runway of started) await runway.stop();
  await temporal?.stop();
  await postgres?.stop();
  if (postgres && !postgres.dataDir.startsWith(scratch))
    await rm(postgres.dataDir, { recursive: true, force: true });
  if (scratch) await rm(scratch, { recursive: true, force: true });
  if (out) await rm(out, { recursive: true, force: true });
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const found = await Promise.all(
    entries.map((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return filesUnder(path);
      return [path];
    }),
  );
  return found.flat();
}

/** What a compiled module imports (esbuild writes double quotes), and what it reads beside itself. */
function referencesOf(code: string): { imports: string[]; besideItself: string[] } {
  const imports = [
    ...code.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)"/gms),
    ...code.matchAll(/^import\s*"([^"]+)"/gm),
    ...code.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g),
  ].map((match) => match[1] ?? '');
  const besideItself = [...code.matchAll(/new URL\("([^"]+)", import\.meta\.url\)/g)].map(
    (match) => match[1] ?? '',
  );
  return { imports, besideItself };
}

const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** The packages the modules reach, from `entries` through their relative imports. */
async function packagesReachedFrom(entries: string[]): Promise<Set<string>> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const pending = [...entries];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of referencesOf(await readFile(file, 'utf8')).imports) {
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier));
      else if (!isBuiltin(specifier)) packages.add(packageOf(specifier));
    }
  }
  return packages;
}

function waitForLogLine(logFile: string, text: string, runway: RunwayProcess): Promise<string> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  const poll = async (): Promise<string> => {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    if (log.includes(text)) return log;
    if (!runway.alive() || Date.now() > deadline) throw new Error(`no "${text}" in ${logFile}:\n${log}`);
    await delay(200);
    return poll();
  };
  return poll();
}

/**
 * As crash-stack.ts configures its processes, without RUNWAY_CONFIG_DIR: the compiled modules read
 * the project's config/ and runbooks/, found by walking up from the output folder.
 */
async function runwayEnv(): Promise<NodeJS.ProcessEnv> {
  const config = await loadConfig();
  // Every identity's token, so the API takes what `runway.yml` names (ops-wang reads releases).
  const tokens = Object.fromEntries(
    config.settings.identities.flatMap((identity) =>
      identity.tokenEnv ? [[identity.tokenEnv, `rw_dist_${randomBytes(12).toString('hex')}`]] : [],
    ),
  );
  return {
    ...BARE_ENV,
    ...tokens,
    RUNWAY_DATABASE_URL: appUrl,
    RUNWAY_TEMPORAL_ADDRESS: temporal?.address,
    RUNWAY_API_PORT: String(await getFreePort()),
    RUNWAY_API_HOST: '127.0.0.1',
    RUNWAY_API_METRICS_LISTEN: '127.0.0.1:0',
    RUNWAY_WORKER_METRICS_LISTEN: '127.0.0.1:0',
    [DECISION_KEYS_ENV]: TEST_DECISION_KEY_ENTRY,
    ...testPayloadKeyEnv,
  };
}

describe('the compiled build (npm run build)', () => {
  it('holds every entry point, with imports that resolve and none of TypeScript or tsx', async () => {
    for (const entry of ENTRY_POINTS) expect(existsSync(join(out, entry))).toBe(true);
    const problems: string[] = [];
    for (const file of (await filesUnder(out)).filter((path) => path.endsWith('.js'))) {
      const { imports, besideItself } = referencesOf(await readFile(file, 'utf8'));
      for (const specifier of imports) {
        if (specifier.endsWith('.ts') || specifier === 'tsx' || specifier.startsWith('tsx/'))
          problems.push(`${file} imports ${specifier}`);
        if (specifier.startsWith('.') && !existsSync(resolve(dirname(file), specifier)))
          problems.push(`${file} imports ${specifier}, which is not there`);
      }
      for (const path of besideItself) {
        if (!existsSync(resolve(dirname(file), path)))
          problems.push(`${file} reads ${path}, which is not there`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('reaches only packages the image installs: dependencies, no devDependencies', async () => {
    const { dependencies } = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8'));
    const reached = await packagesReachedFrom(ENTRY_POINTS.map((entry) => join(out, entry)));
    expect(reached).toContain('@temporalio/worker');
    expect([...reached].filter((name) => !(name in dependencies))).toEqual([]);
  });

  it('migrates PostgreSQL with the compiled migration job, which gives runway_app its login', async () => {
    const ownerUrl = postgres?.connectionString as string;
    const password = randomBytes(18).toString('base64url');
    const migration = await execa(process.execPath, [join(out, 'db', 'migrate-main.js')], {
      cwd: projectRoot,
      env: { ...BARE_ENV, RUNWAY_MIGRATION_DATABASE_URL: ownerUrl, RUNWAY_DB_APP_PASSWORD: password },
      extendEnv: false,
      reject: false,
      all: true,
    });
    expect(migration.exitCode, migration.all).toBe(0);
    expect(migration.stdout).toContain('runway_app may log in');
    // Every migration the sources hold, read from the copy beside the compiled module.
    const shipped = (await readdir(join(projectRoot, 'db', 'migrations'))).map((file) =>
      file.replace(/\.sql$/, ''),
    );
    const client = new pg.Client({ connectionString: ownerUrl });
    await client.connect();
    const { rows } = await client.query<{ name: string }>('SELECT name FROM pgmigrations ORDER BY id');
    await client.end();
    expect(rows.map((row) => row.name)).toEqual(shipped.sort());
    appUrl = applicationUrl(ownerUrl, password);
  });

  it('serves the API, with the project configuration, as runway_app and on Temporal', async () => {
    const env = await runwayEnv();
    started.push(spawnRunway(join(out, 'api', 'main.js'), env, join(scratch, 'api.log')));
    const apiUrl = `http://127.0.0.1:${env.RUNWAY_API_PORT}`;
    // Ready: PostgreSQL and Temporal answer it.
    await waitUntilAnswers(`${apiUrl}/readyz`, { timeoutMs: START_TIMEOUT_MS });
    const response = await fetch(`${apiUrl}/api/v1/releases`, {
      headers: { authorization: `Bearer ${env.RUNWAY_TOKEN_OPS_WANG}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ releases: [] });
  });

  it('runs a worker on the prebuilt workflow bundle, without bundling at start', async () => {
    const env = {
      ...(await runwayEnv()),
      RUNWAY_WORKFLOW_BUNDLE: bundle,
      [BACKUP_KEYS_ENV]: TEST_BACKUP_KEY_ENTRY,
    };
    const logFile = join(scratch, 'worker.log');
    const worker = spawnRunway(join(out, 'worker', 'main.js'), env, logFile);
    started.push(worker);
    const log = await waitForLogLine(logFile, '"msg":"worker started"', worker);
    expect(log).toContain(`"bundlePath":"${bundle}"`);
    expect(log).not.toContain('Workflow bundle created');
  });

  it('loads the entry points the stack does not start: the backup restore and the runway command', async () => {
    const run = (entry: string, ...args: string[]) =>
      execa(process.execPath, [join(out, entry), ...args], {
        cwd: projectRoot,
        env: BARE_ENV,
        extendEnv: false,
        reject: false,
      });
    const [restore, cli] = await Promise.all([
      run('scripts/restore-backup.js'),
      run('cli/main.js', '--version'),
    ]);
    // Its usage, not a module it could not find.
    expect(restore.stderr).toMatch(/^backup:restore: --backup is required/);
    expect(restore.exitCode).toBe(2);
    const { version } = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8'));
    expect(cli.stdout).toBe(version);
  });
});
