// edm-web's own database schema, migrated by node-pg-migrate from the SQL files in ./migrations
// (R-RB-DB). Which migrations a version carries is written down in ./migrations/versions.json, so a
// release of a version migrates to exactly what that version needs. All migrations of one run share
// one transaction: a migration failing half-way leaves nothing of the run behind.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import semver from 'semver';

// Through demo/: the same path from this file and from its bundled copies in demo/dist.
export const MIGRATIONS_DIR = fileURLToPath(new URL('../edm-web/migrations', import.meta.url));
const MANIFEST_FILE = `${MIGRATIONS_DIR}/versions.json`;
const MIGRATIONS_TABLE = 'pgmigrations';

/** Where the database stands: its last applied migration (null: none) and all applied, oldest first. */
export interface MigrationStatus {
  migrationId: string | null;
  applied: string[];
}

/** What `up` or `down` did: the status after it, and the migrations it ran (none: it was a no-op). */
export interface MigrationRun extends MigrationStatus {
  ran: string[];
}

interface Manifest {
  migrations: { id: string; since: string }[];
  faults: Record<string, string>;
}

/** A request that cannot be carried out as asked (unknown version or migration id): the caller's to fix. */
export class MigrationRequestError extends Error {
  override name = 'MigrationRequestError';
}

function readManifest(): Manifest {
  return JSON.parse(readFileSync(MANIFEST_FILE, 'utf8')) as Manifest;
}

/**
 * The migrations `version` carries, in the order they run: those whose `since` is at most the
 * version (its build metadata ignored), then the fault migrations its build metadata names.
 */
export function migrationsCarriedBy(version: string, manifest: Manifest = readManifest()): string[] {
  const parsed = semver.parse(version);
  if (!parsed) throw new MigrationRequestError(`not a semantic version: ${JSON.stringify(version)}`);
  const carried = manifest.migrations
    .filter((migration) => semver.gte(parsed.version, migration.since))
    .map((migration) => migration.id)
    .sort();
  for (const [mark, id] of Object.entries(manifest.faults)) {
    if (parsed.build.includes(mark)) carried.push(id);
  }
  return carried;
}

export async function migrationStatus(databaseUrl: string): Promise<MigrationStatus> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const table = await client.query<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [
      MIGRATIONS_TABLE,
    ]);
    if (!table.rows[0]?.found) return { migrationId: null, applied: [] };
    const { rows } = await client.query<{ name: string }>(
      `SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY run_on, id`,
    );
    const applied = rows.map((row) => row.name);
    return { migrationId: applied.at(-1) ?? null, applied };
  } finally {
    await client.end();
  }
}

/**
 * Applies what `version` carries and the database lacks. A database that already has all of it (or
 * more: a newer release ran) is left as it is: going back is `down`'s job, never `up`'s.
 */
export async function migrateUp(
  databaseUrl: string,
  version: string,
  log: (line: string) => void,
): Promise<MigrationRun> {
  const carried = migrationsCarriedBy(version);
  const before = await migrationStatus(databaseUrl);
  const common = Math.min(carried.length, before.applied.length);
  if (carried.slice(0, common).join() !== before.applied.slice(0, common).join()) {
    throw new MigrationRequestError(
      `the database's migrations (${before.applied.join(', ')}) are not those version ${version} builds on (${carried.join(', ')}); migrate down first`,
    );
  }
  const ran = await runMigrations(databaseUrl, { direction: 'up', files: carried }, log);
  return { ...(await migrationStatus(databaseUrl)), ran };
}

/** Reverts the migrations applied after `to` (null: all of them), newest first. */
export async function migrateDown(
  databaseUrl: string,
  to: string | null,
  log: (line: string) => void,
): Promise<MigrationRun> {
  const before = await migrationStatus(databaseUrl);
  const keep = to === null ? 0 : before.applied.indexOf(to) + 1;
  if (to !== null && keep === 0) {
    throw new MigrationRequestError(
      `migration ${to} is not applied (applied: ${before.applied.join(', ') || 'none'}); nothing to go back to`,
    );
  }
  const count = before.applied.length - keep;
  if (count === 0) return { ...before, ran: [] };
  const ran = await runMigrations(databaseUrl, { direction: 'down', files: before.applied, count }, log);
  return { ...(await migrationStatus(databaseUrl)), ran };
}

async function runMigrations(
  databaseUrl: string,
  plan: { direction: 'up' | 'down'; files: string[]; count?: number },
  log: (line: string) => void,
): Promise<string[]> {
  const ran = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    // Only the files this run may touch: a fault migration, or one a newer version carries, stays out.
    ignorePattern: onlyFiles(plan.files),
    direction: plan.direction,
    ...(plan.count === undefined ? {} : { count: plan.count }),
    migrationsTable: MIGRATIONS_TABLE,
    checkOrder: true,
    singleTransaction: true,
    // A retried call waits for one still running rather than failing beside it.
    advisoryLockMode: 'wait',
    logger: { debug: () => {}, info: log, warn: log, error: log },
  });
  return ran.map((migration) => migration.name);
}

/** node-pg-migrate's ignorePattern (anchored by it) that lets through exactly these migrations' files. */
function onlyFiles(ids: string[]): string {
  const names = ids.map((id) => `${id}.sql`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return `(?!(?:${names.join('|')})$).*`;
}

/** What `ready` found: the version's migrations all have scripts, and which of them the database lacks. */
export interface MigrationReadiness {
  version: string;
  carried: string[];
  applied: string[];
  toApply: string[];
}

const UP_MARK = '-- Up Migration';
const DOWN_MARK = '-- Down Migration';

/** Why a migration cannot run both ways, or null when its script has an up and a down part. */
export function scriptProblem(id: string): string | null {
  const file = `${MIGRATIONS_DIR}/${id}.sql`;
  if (!existsSync(file)) return `migration ${id} has no script (${id}.sql)`;
  const text = readFileSync(file, 'utf8');
  if (!text.includes(UP_MARK)) return `migration ${id} has no "${UP_MARK}" part`;
  if (!text.includes(DOWN_MARK))
    return `migration ${id} has no "${DOWN_MARK}" part, so it cannot be rolled back`;
  return null;
}

/**
 * The migration scripts of `version` are ready for this database (R-CHECKLIST): each one it carries
 * has its script, up and down, and the database holds nothing the version does not build on.
 */
export async function migrationsReady(databaseUrl: string, version: string): Promise<MigrationReadiness> {
  const carried = migrationsCarriedBy(version);
  const problems = carried.map(scriptProblem).filter((problem): problem is string => problem !== null);
  if (problems.length > 0) {
    throw new MigrationRequestError(`version ${version} is not ready: ${problems.join('; ')}`);
  }
  const { applied } = await migrationStatus(databaseUrl);
  const common = Math.min(carried.length, applied.length);
  if (carried.slice(0, common).join() !== applied.slice(0, common).join()) {
    throw new MigrationRequestError(
      `the database's migrations (${applied.join(', ')}) are not those version ${version} builds on (${carried.join(', ')})`,
    );
  }
  return { version, carried, applied, toApply: carried.slice(applied.length) };
}
