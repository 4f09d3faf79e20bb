-- Up Migration
-- Rollback and guided failure (R-RB-*, R-GUIDED): what waits for a decision, a production rollback
-- waiting for its second person, the rollback's report, and until when a succeeded release may
-- still be rolled back (its record stays open, without the service's lock, until then).
ALTER TABLE releases
  ADD COLUMN pending_decision jsonb,
  ADD COLUMN pending_rollback_order jsonb,
  ADD COLUMN rollback jsonb,
  ADD COLUMN rollback_open_until timestamptz;

-- Alerts a release raised (R-RB-VERIFY: P0 on a failed compensation; R-GUIDED: a release waiting for
-- a decision). Every alert is kept here whatever the channels do with it; `alert_key` makes a retried
-- raise the same row.
CREATE TABLE release_alerts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  release_id text NOT NULL REFERENCES releases (id),
  alert_key text NOT NULL,
  level text NOT NULL CHECK (level IN ('P0', 'P1', 'P2', 'P3')),
  kind text NOT NULL,
  step_id text,
  environment text,
  message text NOT NULL,
  details jsonb,
  raised_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (release_id, alert_key)
);
CREATE INDEX release_alerts_raised_at_idx ON release_alerts (raised_at DESC);
-- An alert is a fact: the application adds and reads them, never changes one.
REVOKE UPDATE, DELETE, TRUNCATE ON release_alerts FROM runway_app;

-- Down Migration
DROP TABLE release_alerts;
ALTER TABLE releases
  DROP COLUMN pending_decision,
  DROP COLUMN pending_rollback_order,
  DROP COLUMN rollback,
  DROP COLUMN rollback_open_until;
