// The production Temporal server, its schema tool and Temporal Web's own server, built from the Go
// module proxy at pinned versions (scripts/temporal-server.json) and cached outside the clone, one
// folder per version, so every clone and every run of this machine builds them once. A folder the
// user gives (RUNWAY_TEMPORAL_SERVER_DIR, RUNWAY_TEMPORAL_UI_DIR) is used as it is.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../temporal-binaries.js';

interface GoModulePin {
  module: string;
  version: string;
  /** Binary name → package path inside the module. */
  packages: Record<string, string>;
  overrideEnv: string;
}

export const serverPins: { server: GoModulePin; ui: GoModulePin } = JSON.parse(
  readFileSync(join(projectRoot, 'scripts', 'temporal-server.json'), 'utf8'),
);

export interface ServerBinaries {
  /** `temporal-server` (server start …). */
  server: string;
  /** `temporal-sql-tool` (create-database, setup-schema, update-schema). */
  sqlTool: string;
  /** The PostgreSQL schemas shipped with the server (schema/postgresql/v12/…). */
  schemaDir: string;
  /** Temporal Web's server. */
  uiServer: string;
}

/** Where built binaries are kept: RUNWAY_BUILD_CACHE, else $XDG_CACHE_HOME/runway, else ~/.cache/runway. */
export function buildCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RUNWAY_BUILD_CACHE) return env.RUNWAY_BUILD_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'runway');
}

const STAMP = 'built.json';

function pinDir(pin: GoModulePin, env: NodeJS.ProcessEnv): string {
  const name = pin.module
    .split('/')
    .filter((part) => !/^v\d+$/.test(part))
    .pop();
  return join(buildCacheDir(env), `${name}-${pin.version}`);
}

function givenDir(pin: GoModulePin, env: NodeJS.ProcessEnv, needs: string[]): string | undefined {
  const dir = env[pin.overrideEnv];
  if (!dir) return undefined;
  const missing = needs.filter((path) => !existsSync(join(dir, path)));
  if (missing.length > 0) {
    throw new Error(
      `${pin.overrideEnv}=${dir} lacks ${missing.join(', ')}; build it or unset ${pin.overrideEnv}`,
    );
  }
  return dir;
}

/**
 * Builds one module's binaries into a staging folder beside the cache folder and renames it into
 * place when complete, so an interrupted build is never mistaken for a finished one.
 */
async function buildPin(
  pin: GoModulePin,
  dir: string,
  log: (line: string) => void,
  afterBuild?: (staging: string) => Promise<void>,
): Promise<void> {
  const staging = `${dir}.staging-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(join(staging, 'bin'), { recursive: true });
  const targets = Object.values(pin.packages).map((pkg) => `${pin.module}/${pkg}@${pin.version}`);
  log(
    `building ${pin.module} ${pin.version} from the Go module proxy (the first build takes several minutes)…`,
  );
  const started = Date.now();
  await goInstall(targets, join(staging, 'built'), log);
  for (const [binary, pkg] of Object.entries(pin.packages)) {
    // go install names a binary after its package folder (server, sql); ours get their own names.
    await rename(join(staging, 'built', pkg.split('/').pop() as string), join(staging, 'bin', binary));
  }
  await rm(join(staging, 'built'), { recursive: true, force: true });
  await afterBuild?.(staging);
  await writeFile(join(staging, STAMP), `${JSON.stringify({ ...pin, builtAt: new Date().toISOString() })}\n`);
  await rm(dir, { recursive: true, force: true });
  try {
    await rename(staging, dir);
  } catch (error) {
    // Another start built the same version meanwhile and renamed its folder first: keep that one.
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(join(dir, STAMP))) throw error;
  }
  log(`built ${pin.module} ${pin.version} in ${Math.round((Date.now() - started) / 1000)} s: ${dir}`);
}

function goInstall(targets: string[], gobin: string, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', ['install', ...targets], {
      env: { ...process.env, GOBIN: gobin, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    let downloads = 0;
    const progress = setInterval(
      () => log(`  still building (${downloads} modules fetched so far)…`),
      30_000,
    );
    const onOutput = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        if (line.startsWith('go: downloading')) downloads += 1;
        tail.push(line);
        if (tail.length > 30) tail.shift();
      }
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.once('error', (error) => {
      clearInterval(progress);
      reject(
        new Error(
          `cannot run go (${error.message}): install Go, or give built binaries (see docs/cluster.md)`,
        ),
      );
    });
    child.once('exit', (code) => {
      clearInterval(progress);
      if (code === 0) resolve();
      else reject(new Error(`go install ${targets.join(' ')} exited with ${code}:\n${tail.join('\n')}`));
    });
  });
}

/** The server's PostgreSQL schemas, from the module go install just fetched. */
async function copySchemas(pin: GoModulePin, staging: string): Promise<void> {
  const modCache = await goEnv('GOMODCACHE');
  await cp(
    join(modCache, `${pin.module}@${pin.version}`, 'schema', 'postgresql'),
    join(staging, 'schema', 'postgresql'),
    {
      recursive: true,
    },
  );
}

function goEnv(name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', ['env', name], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`go env ${name} exited with ${code}`)),
    );
  });
}

const SERVER_FILES = ['bin/server', 'bin/sql', 'schema/postgresql'];
const UI_FILES = ['bin/ui-server'];

/** Whether both are built (or given): the cluster then starts without Go. */
export function serverBinariesReady(env: NodeJS.ProcessEnv = process.env): boolean {
  const ready = (pin: GoModulePin) =>
    env[pin.overrideEnv] !== undefined || existsSync(join(pinDir(pin, env), STAMP));
  return ready(serverPins.server) && ready(serverPins.ui);
}

/** The binaries, built first where neither the cache nor the environment has them. */
export async function provideServerBinaries(
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ServerBinaries> {
  const server = await provide(serverPins.server, SERVER_FILES, log, env, (staging) =>
    copySchemas(serverPins.server, staging),
  );
  const ui = await provide(serverPins.ui, UI_FILES, log, env);
  return {
    server: join(server, 'bin', 'server'),
    sqlTool: join(server, 'bin', 'sql'),
    schemaDir: join(server, 'schema', 'postgresql', 'v12'),
    uiServer: join(ui, 'bin', 'ui-server'),
  };
}

async function provide(
  pin: GoModulePin,
  needs: string[],
  log: (line: string) => void,
  env: NodeJS.ProcessEnv,
  afterBuild?: (staging: string) => Promise<void>,
): Promise<string> {
  const given = givenDir(pin, env, needs);
  if (given) return given;
  const dir = pinDir(pin, env);
  if (!existsSync(join(dir, STAMP))) await buildPin(pin, dir, log, afterBuild);
  return dir;
}
