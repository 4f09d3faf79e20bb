/**
 * edm-db: edm-web's own migration tool, which a release's migrate step runs as it runs edm-ctl for
 * a deploy. The database comes from DATABASE_URL (it holds a password, so never from the command
 * line, where every user of the machine could read it). One JSON line on stdout on success; its
 * last line on stderr says why on failure. Exit codes: 0 done; 1 failed, worth retrying (the
 * database could not be reached, a deadlock); 2 bad usage or a request that does not fit the
 * database (unknown version or migration id); 4 a migration's SQL failed, which it will again.
 * Nothing of a failed run is applied: all its migrations share one transaction.
 *
 *   status                   {"migrationId": "002-campaign-schedule" | null, "applied": [...]}
 *   up --version V           migrates to what V carries (demo/edm-web/migrations/versions.json);
 *                            a no-op when the database has it already
 *   down --to ID|none        migrates down until ID is the last applied (none: all reverted);
 *                            a no-op when ID is already the last
 *   ready --version V        checks, changing nothing, that every migration V carries has its
 *                            script (up and down) and that V builds on what the database has
 */
import { parseArgs } from 'node:util';
import {
  MigrationRequestError,
  migrateDown,
  migrateUp,
  migrationStatus,
  migrationsReady,
} from '../edm-web/schema-migrations.js';

const DATABASE_URL_ENV = 'DATABASE_URL';
/** How `down --to` says "no migration at all": a command-line value cannot be null. */
const NOTHING_APPLIED = 'none';
/** SQLSTATE classes a retry may mend: connection, resources, operator intervention, rollbacks (deadlock). */
const TRANSIENT_SQLSTATE = /^(08|53|57|40)/;
const MIGRATION_FAILED_EXIT_CODE = 4;

const USAGE =
  'usage: edm-db status | up --version V | down --to ID|none | ready --version V   (database: $DATABASE_URL)';

class UsageError extends Error {}

/** node-pg-migrate's progress lines go to stderr: stdout carries only the JSON answer. */
const log = (line: string) => process.stderr.write(`${line}\n`);

async function run(command: string | undefined, args: string[], databaseUrl: string): Promise<unknown> {
  const { values } = parseArgs({
    args,
    options: { version: { type: 'string' }, to: { type: 'string' } },
    strict: true,
  });
  switch (command) {
    case 'status':
      return migrationStatus(databaseUrl);
    case 'up':
      if (!values.version) throw new UsageError(`up needs --version\n${USAGE}`);
      return migrateUp(databaseUrl, values.version, log);
    case 'ready':
      if (!values.version) throw new UsageError(`ready needs --version\n${USAGE}`);
      return migrationsReady(databaseUrl, values.version);
    case 'down':
      if (!values.to) throw new UsageError(`down needs --to ID or --to ${NOTHING_APPLIED}\n${USAGE}`);
      return migrateDown(databaseUrl, values.to === NOTHING_APPLIED ? null : values.to, log);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command ?? '')}\n${USAGE}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  const databaseUrl = process.env[DATABASE_URL_ENV];
  try {
    if (!databaseUrl) throw new UsageError(`${DATABASE_URL_ENV} is not set: it names edm-web's database`);
    process.stdout.write(`${JSON.stringify(await run(command, args, databaseUrl))}\n`);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const usage = error instanceof UsageError || error instanceof MigrationRequestError;
    const outcome =
      command === 'up' && !usage ? ' (nothing of this run was applied: it ran in one transaction)' : '';
    process.stderr.write(`edm-db ${command ?? ''}: ${message}${outcome}\n`);
    const code = (error as { code?: unknown }).code;
    if (usage || code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return 2;
    // A five-character code is PostgreSQL's SQLSTATE: the server refused the migration's SQL.
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !TRANSIENT_SQLSTATE.test(code)) {
      return MIGRATION_FAILED_EXIT_CODE;
    }
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
