// The database's counterpart of the demo agent's action log: an event trigger in edm-web's database
// writes down every table and column a statement drops, in the statement's own transaction, so what
// a migration down really did (and how often) can be read back, however its caller was interrupted.
import pg from 'pg';

export interface DroppedObject {
  type: string;
  identity: string;
}

const INSTALL = `
CREATE TABLE crash_drop_log (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  object_type text NOT NULL,
  object_identity text NOT NULL
);
CREATE FUNCTION crash_log_drops() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO crash_drop_log (object_type, object_identity)
    SELECT object_type, object_identity FROM pg_event_trigger_dropped_objects()
    WHERE original AND object_type IN ('table', 'table column');
END
$$;
CREATE EVENT TRIGGER crash_log_drops ON sql_drop EXECUTE FUNCTION crash_log_drops();`;

const REMOVE = `
DROP EVENT TRIGGER IF EXISTS crash_log_drops;
DROP FUNCTION IF EXISTS crash_log_drops();
DROP TABLE IF EXISTS crash_drop_log;`;

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * `ownerUrl` must be a superuser's (only they create event triggers). The log table belongs to the
 * service's role, `serviceRole`, whose migrations write to it and whose backups dump it.
 */
export async function installDropLog(ownerUrl: string, serviceRole: string): Promise<void> {
  await withClient(ownerUrl, async (client) => {
    await client.query(REMOVE);
    await client.query(INSTALL);
    await client.query(`ALTER TABLE crash_drop_log OWNER TO ${client.escapeIdentifier(serviceRole)}`);
  });
}

export function readDropLog(ownerUrl: string): Promise<DroppedObject[]> {
  return withClient(ownerUrl, async (client) => {
    const { rows } = await client.query<{ object_type: string; object_identity: string }>(
      'SELECT object_type, object_identity FROM crash_drop_log ORDER BY seq',
    );
    return rows.map((row) => ({ type: row.object_type, identity: row.object_identity }));
  });
}

export async function removeDropLog(ownerUrl: string): Promise<void> {
  await withClient(ownerUrl, (client) => client.query(REMOVE));
}
