#!/bin/sh
# Creates Temporal's own databases in PostgreSQL and brings their schemas up to the version of the
# server image, with the server's own schema tool, as stack/cluster/temporal-schema.ts does. Running
# it again only applies what is new (after a server upgrade, say).
set -eu
nc -z -w 10 "$SQL_HOST" "$SQL_PORT"
schema=/etc/temporal/schema/postgresql/v12
for db in temporal temporal_visibility; do
  # Fails once the database exists: what matters is the schema steps after it.
  temporal-sql-tool --db "$db" create-database || true
done
# Version 0.0 makes only the version tables, and leaves a database already set up as it is.
temporal-sql-tool --db temporal setup-schema -v 0.0
temporal-sql-tool --db temporal update-schema -d "$schema/temporal/versioned"
temporal-sql-tool --db temporal_visibility setup-schema -v 0.0
temporal-sql-tool --db temporal_visibility update-schema -d "$schema/visibility/versioned"
echo 'Temporal schema ready'
