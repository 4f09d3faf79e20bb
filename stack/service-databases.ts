// The databases of the services that have one (R-RB-DB), for the local stack and the tests: one per
// environment in the stack's own PostgreSQL (edm_web_test, edm_web_staging, edm_web_production),
// owned by a login role of the service's own, never Runway's. Each URL reaches the worker in the
// variable the service's `database.urlEnv` names (EDM_WEB_PRODUCTION_DATABASE_URL), as a real
// deployment's secret manager would put it there.
import pg from 'pg';
import { secretVariableFor } from '../config/command-template.js';
import type { RunwayConfig } from '../config/config-schema.js';
import { scramVerifier } from '../db/application-role.js';
import { registerSecret } from '../logging/secret-values.js';

export interface ServiceDatabase {
  service: string;
  environment: string;
  /** The worker variable that holds `url`. */
  variable: string;
  url: string;
}

const identifier = (name: string) => name.replaceAll('-', '_');

/**
 * Creates what is missing (the role, each database) and gives the role `password` anew, so a start
 * with a fresh password works on data kept from before. `ownerUrl` must be allowed to create roles
 * and databases (the embedded PostgreSQL's superuser is).
 */
export async function provideServiceDatabases(
  ownerUrl: string,
  config: RunwayConfig,
  password: string,
): Promise<ServiceDatabase[]> {
  registerSecret(password);
  const provided: ServiceDatabase[] = [];
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    for (const [service, serviceConfig] of Object.entries(config.services)) {
      if (!serviceConfig.database) continue;
      const role = identifier(service);
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      // Only the verifier travels, as in db/application-role.ts: no statement log holds the password.
      const verb = exists.rowCount === 0 ? 'CREATE' : 'ALTER';
      await client.query(
        `${verb} ROLE ${client.escapeIdentifier(role)} LOGIN PASSWORD ${client.escapeLiteral(scramVerifier(password))}`,
      );
      for (const environment of Object.values(config.environments)) {
        if (!environment.services[service]) continue;
        const database = `${role}_${identifier(environment.name)}`;
        const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
        if (found.rowCount === 0) {
          await client.query(
            `CREATE DATABASE ${client.escapeIdentifier(database)} OWNER ${client.escapeIdentifier(role)}`,
          );
        }
        const url = new URL(ownerUrl);
        url.username = role;
        url.password = encodeURIComponent(password);
        url.pathname = `/${database}`;
        provided.push({
          service,
          environment: environment.name,
          variable: secretVariableFor(serviceConfig.database.urlEnv, environment.name),
          url: url.toString(),
        });
      }
    }
  } finally {
    await client.end();
  }
  return provided;
}
