#!/bin/sh
# First start of the PostgreSQL container: a database and a role for Runway's release records,
# separate from Temporal's own.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<SQL
CREATE ROLE runway LOGIN PASSWORD '${RUNWAY_DB_PASSWORD}';
CREATE DATABASE runway OWNER runway;
SQL
