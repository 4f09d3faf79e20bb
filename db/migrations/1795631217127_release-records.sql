-- Up Migration
-- One row per release; `id` is the Temporal workflow id, so a record and its workflow share a key.
CREATE TABLE releases (
  id text PRIMARY KEY,                      -- the Temporal workflow id
  run_id text,
  type text NOT NULL CHECK (type IN ('regular','hotfix','emergency')),
  service text NOT NULL,
  version text NOT NULL,
  change_ref text,
  requested_by text NOT NULL,
  status text NOT NULL,
  current_step text,
  failure jsonb,                            -- { step, reason } when failed
  runbook jsonb NOT NULL,                   -- the resolved runbook the release runs
  temporal_url text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX releases_service_status_idx ON releases (service, status);
CREATE INDEX releases_created_at_idx ON releases (created_at DESC);
-- One release in flight per service: a second start while one runs is a conflict (409), even when
-- two requests race.
CREATE UNIQUE INDEX releases_one_active_per_service_idx ON releases (service) WHERE finished_at IS NULL;
CREATE TABLE release_steps (
  release_id text NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
  step_id text NOT NULL,
  name text NOT NULL,
  environment text,
  kind text NOT NULL,
  status text NOT NULL CHECK (status IN ('running','succeeded','failed','skipped','compensated')),
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  detail jsonb,
  error text,
  PRIMARY KEY (release_id, step_id)
);
-- One row per decision that counted: an approver may approve and later reject the same gate.
CREATE TABLE release_approvals (
  release_id text NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
  gate_id text NOT NULL,
  approver text NOT NULL,
  roles text[] NOT NULL,
  decision text NOT NULL CHECK (decision IN ('approve','reject')),
  comment text,
  decided_at timestamptz NOT NULL,
  PRIMARY KEY (release_id, gate_id, approver, decision)
);

-- Down Migration
DROP TABLE release_approvals;
DROP TABLE release_steps;
DROP TABLE releases;
