// `npx tsx db/migrate-main.ts`: brings the database named by RUNWAY_DATABASE_URL up to date
// (the migration job of docker-compose.yml; `npm start` migrates by itself).
import { migrateDatabase } from './migrate-database.js';

const url = process.env.RUNWAY_DATABASE_URL;
if (!url) {
  console.error('RUNWAY_DATABASE_URL is not set');
  process.exit(1);
}
const applied = await migrateDatabase(url, (line) => console.log(line));
console.log(applied.length > 0 ? `applied ${applied.join(', ')}` : 'database already up to date');
