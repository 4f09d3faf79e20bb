#!/bin/sh
# First start of the PostgreSQL container: a database and a role for Runway's release records,
# separate from Temporal's own. `runway` owns the tables and runs the migrations; CREATEROLE lets the
# migrations create the application's role (runway_app) and the migration job give it its password.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<SQL
CREATE ROLE runway LOGIN CREATEROLE PASSWORD '${RUNWAY_DB_PASSWORD}';
CREATE DATABASE runway OWNER runway;
SQL
