// Brings a database's schema up to date with the SQL files in db/migrations/ (node-pg-migrate's
// `-- Up Migration` / `-- Down Migration` format). Applied migrations are recorded in the
// `pgmigrations` table, so running this again applies nothing.
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';

export const migrationsDir = fileURLToPath(new URL('./migrations', import.meta.url));

/** Applies every pending migration and returns the names of those it applied. */
export async function migrateDatabase(
  connectionString: string,
  log?: (l: string) => void,
): Promise<string[]> {
  const write = log ?? (() => {});
  const applied = await runner({
    databaseUrl: connectionString,
    dir: migrationsDir,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    checkOrder: true,
    singleTransaction: true,
    // The API and the worker may both migrate at start-up: the second one waits for the first.
    advisoryLockMode: 'wait',
    logger: { debug: () => {}, info: write, warn: write, error: write },
  });
  return applied.map((migration) => migration.name);
}
