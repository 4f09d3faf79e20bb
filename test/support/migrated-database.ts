// A migrated PostgreSQL of its own for a test file, with both roles: the owner that migrated it and
// the application's role (runway_app) that Runway connects as.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { provisionApplicationRole } from '../../db/application-role.js';
import { migrateDatabase } from '../../db/migrate-database.js';
import { startEmbeddedPostgres } from '../../stack/embedded-postgres.js';
import { getFreePort } from '../../stack/free-port.js';

export interface MigratedDatabase {
  /** The owner: ran the migrations, owns the tables. */
  ownerUrl: string;
  /** runway_app, as the API and the workers connect. */
  appUrl: string;
  stop(): Promise<void>;
}

export async function startMigratedDatabase(): Promise<MigratedDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'runway-db-test-'));
  const postgres = await startEmbeddedPostgres({
    dataDir: join(dir, 'postgres'),
    port: await getFreePort(),
    database: 'runway',
  });
  const stop = async () => {
    await postgres.stop();
    await rm(dir, { recursive: true, force: true });
    if (postgres.dataDir !== join(dir, 'postgres'))
      await rm(postgres.dataDir, { recursive: true, force: true });
  };
  try {
    await migrateDatabase(postgres.connectionString);
    const appUrl = await provisionApplicationRole(
      postgres.connectionString,
      randomBytes(18).toString('base64url'),
    );
    return { ownerUrl: postgres.connectionString, appUrl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
