// R-AUDIT: the API and the workers connect as their own role, runway_app, which may add to the audit
// trail but never change it; the owner role runs the migrations and owns every table. The migration
// that introduced the role (db/migrations/*_audit-trail.sql) made it without a login; whoever migrates
// gives it one here, with a password that lives only in that person's or job's environment.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import pg from 'pg';

export const APPLICATION_ROLE = 'runway_app';

/** Where the owner's connection string comes from for the migration job and `npm start`. */
export const MIGRATION_DATABASE_URL_ENV = 'RUNWAY_MIGRATION_DATABASE_URL';
/** The application role's password, for the migration job to set. */
export const APPLICATION_PASSWORD_ENV = 'RUNWAY_DB_APP_PASSWORD';

/** Passwords shorter than this are a mistake (an empty variable, a placeholder). */
const MIN_PASSWORD_LENGTH = 16;

/**
 * Lets runway_app log in with `password` and returns the connection string the application uses:
 * the owner's, with the application role and its password in place of the owner's credentials.
 * Run it after migrating (the migration creates the role); running it again changes the password.
 */
export async function provisionApplicationRole(ownerUrl: string, password: string): Promise<string> {
  if (password.length < MIN_PASSWORD_LENGTH || !/^[\x21-\x7e]+$/.test(password)) {
    throw new Error(
      `the ${APPLICATION_ROLE} password (${APPLICATION_PASSWORD_ENV}) needs at least ${MIN_PASSWORD_LENGTH} visible ASCII characters`,
    );
  }
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [APPLICATION_ROLE]);
    if (role.rowCount === 0) {
      throw new Error(`the role ${APPLICATION_ROLE} does not exist: migrate the database first`);
    }
    // Only the SCRAM verifier is sent, as psql's \password does: the password itself never reaches
    // the server, so no statement log can hold it.
    await client.query(
      `ALTER ROLE ${client.escapeIdentifier(APPLICATION_ROLE)} LOGIN PASSWORD ${client.escapeLiteral(scramVerifier(password))}`,
    );
  } catch (error) {
    // 42501 insufficient_privilege: the owner may not alter roles.
    if ((error as { code?: string }).code === '42501') {
      throw new Error(
        `the migrating role may not give ${APPLICATION_ROLE} a login: it needs CREATEROLE (or ADMIN OPTION on ${APPLICATION_ROLE})`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    await client.end();
  }
  return applicationUrl(ownerUrl, password);
}

/**
 * PostgreSQL's stored form of a SCRAM-SHA-256 password (RFC 5802, RFC 7677), which ALTER ROLE accepts
 * as already encrypted. Visible ASCII needs no SASLprep, which is why only such passwords are taken.
 */
export function scramVerifier(password: string, iterations = 4096): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  const b64 = (bytes: Buffer) => bytes.toString('base64');
  return `SCRAM-SHA-256$${iterations}:${b64(salt)}$${b64(storedKey)}:${b64(serverKey)}`;
}

/** The owner's connection string with the application role's credentials instead. */
export function applicationUrl(ownerUrl: string, password: string): string {
  const url = new URL(ownerUrl);
  url.username = APPLICATION_ROLE;
  url.password = encodeURIComponent(password);
  return url.toString();
}

/** A connection string fit for a log line or a terminal: the password is replaced by stars. */
export function withoutPassword(connectionString: string): string {
  const url = new URL(connectionString);
  if (url.password) url.password = '***';
  return url.toString();
}
