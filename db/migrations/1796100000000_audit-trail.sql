-- Up Migration
-- R-AUDIT: every API operation, allowed or refused, and every decision a workflow refused. Append-only:
-- the application's role may add and read entries, never change or remove one.
CREATE TABLE audit_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  actor text,                               -- the identity; NULL when none was established (a 401)
  action text NOT NULL,                     -- the operation, e.g. releases.start, approvals.decide
  target text NOT NULL,                     -- a release id, a service, or the request's path
  environment text,                         -- NULL when the operation concerns no one environment
  outcome text NOT NULL CHECK (outcome IN ('allowed', 'refused', 'failed')),
  status integer,                           -- the HTTP status; NULL for a workflow's own refusal
  reason text,                              -- why it was refused or failed
  request_id text,
  details jsonb
);
-- Newest first is the primary key read backwards; each filter pages in the same order.
CREATE INDEX audit_events_actor_idx ON audit_events (actor, id DESC);
CREATE INDEX audit_events_action_idx ON audit_events (action, id DESC);
CREATE INDEX audit_events_target_idx ON audit_events (target, id DESC);
CREATE INDEX audit_events_outcome_idx ON audit_events (outcome, id DESC);
CREATE INDEX audit_events_occurred_at_idx ON audit_events (occurred_at DESC);

-- Defence in depth: even the owner (who is not refused by privileges, and may be a superuser) cannot
-- change or remove an entry by accident. Doing it on purpose takes a visible ALTER TABLE … DISABLE
-- TRIGGER or DROP TRIGGER first, which is how a retention job would prune old entries.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'entries are never changed or removed; pruning needs the trigger dropped by the owner';
END
$$;
CREATE TRIGGER audit_events_append_only
  BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- The application's role: the API and the workers log in as runway_app, the owner (whoever runs the
-- migrations) owns every table. The role is made here without a login and without a password; whoever
-- migrates gives it both (db/application-role.ts), so no password lives in the repository. Creating it
-- needs CREATEROLE; a role a DBA made beforehand is used as it is.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'runway_app') THEN
    CREATE ROLE runway_app NOLOGIN;
  END IF;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO runway_app', current_schema());
  -- Tables a later migration creates (as the same owner) get the ordinary rights below without a
  -- grant of their own. A table the application must not change freely REVOKEs what it must not
  -- have in its own migration; test/db/application-role.test.ts lists what each table allows.
  EXECUTE format(
    'ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO runway_app',
    current_schema());
  EXECUTE format(
    'ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO runway_app', current_schema());
END
$$;
GRANT SELECT, INSERT, UPDATE, DELETE ON releases, release_steps, release_decisions, api_idempotency_keys
  TO runway_app;
-- Reading and adding only: no UPDATE, DELETE or TRUNCATE (R-AUDIT). The identity needs no sequence
-- grant: INSERT on the table is enough for a GENERATED column.
GRANT SELECT, INSERT ON audit_events TO runway_app;

-- Down Migration
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'runway_app') THEN
    EXECUTE format(
      'ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM runway_app',
      current_schema());
    EXECUTE format(
      'ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE USAGE, SELECT ON SEQUENCES FROM runway_app', current_schema());
    REVOKE ALL ON releases, release_steps, release_decisions, api_idempotency_keys FROM runway_app;
    REVOKE ALL ON audit_events FROM runway_app;
    EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM runway_app', current_schema());
  END IF;
END
$$;
-- The role stays: other databases of the cluster may use it, and it owns nothing here.
DROP TABLE audit_events;
DROP FUNCTION audit_events_append_only();
