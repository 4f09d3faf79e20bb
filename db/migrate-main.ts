// `npm run migrate` (`node dist/db/migrate-main.js`, compiled by `npm run build`): the migration job
// of docker-compose.yml (`npm start` migrates by itself). As the owner role
// (RUNWAY_MIGRATION_DATABASE_URL), brings the schema up to date, then, given RUNWAY_DB_APP_PASSWORD,
// lets the application's role log in with it. The API and the workers connect as that role
// (RUNWAY_DATABASE_URL), which cannot change the audit trail (R-AUDIT).
import { projectRoot } from '../config/project-root.js';
import { loadSecretsFile } from '../config/secrets-file.js';
import {
  APPLICATION_PASSWORD_ENV,
  APPLICATION_ROLE,
  applicationUrl,
  MIGRATION_DATABASE_URL_ENV,
  provisionApplicationRole,
  withoutPassword,
} from './application-role.js';
import { migrateDatabase } from './migrate-database.js';

// The owner's URL and the application's password may come from the secrets file (R-SECRETS).
loadSecretsFile(projectRoot);
const ownerUrl = process.env[MIGRATION_DATABASE_URL_ENV];
if (!ownerUrl) {
  console.error(
    `${MIGRATION_DATABASE_URL_ENV} is not set: it names the database as the role that owns Runway's tables`,
  );
  process.exit(1);
}
const applied = await migrateDatabase(ownerUrl, (line) => console.log(line));
console.log(applied.length > 0 ? `applied ${applied.join(', ')}` : 'database already up to date');

const password = process.env[APPLICATION_PASSWORD_ENV];
if (password) {
  await provisionApplicationRole(ownerUrl, password);
  console.log(`${APPLICATION_ROLE} may log in: ${withoutPassword(applicationUrl(ownerUrl, password))}`);
} else {
  console.log(
    `${APPLICATION_PASSWORD_ENV} is not set: ${APPLICATION_ROLE}'s login was left as it was (give it one for the API and workers)`,
  );
}
