-- Up Migration
-- The v2 engine: the service lock as its own column (statuses that can still change a target hold
-- it), the record's transition sequence and claim, the environments a release touches (per-environment
-- reads), and every decision a workflow received — counted or refused — in one table.
ALTER TABLE releases
  ADD COLUMN workflow_type text NOT NULL DEFAULT 'releaseWorkflow',
  ADD COLUMN environments text[] NOT NULL DEFAULT '{}',
  ADD COLUMN holds_lock boolean NOT NULL DEFAULT false,
  ADD COLUMN claimed_at timestamptz,
  ADD COLUMN record_seq integer NOT NULL DEFAULT 0,
  ADD COLUMN current_environment text,
  ADD COLUMN pending_gate jsonb,
  ADD COLUMN rollback_plan jsonb NOT NULL DEFAULT '[]';
UPDATE releases SET holds_lock = (finished_at IS NULL), claimed_at = created_at;
-- In the order the plan first reaches them, as the application writes them.
UPDATE releases SET environments = ARRAY(
  SELECT step->>'environment' FROM jsonb_array_elements(runbook->'steps') WITH ORDINALITY AS t(step, position)
  GROUP BY step->>'environment' ORDER BY min(position)
);
DROP INDEX releases_one_active_per_service_idx;
-- One release per service may change targets at a time: a second start is a conflict (409), even
-- when two requests race.
CREATE UNIQUE INDEX releases_service_lock_idx ON releases (service) WHERE holds_lock;
CREATE INDEX releases_environments_idx ON releases USING gin (environments);
CREATE INDEX releases_unfinished_idx ON releases (created_at) WHERE finished_at IS NULL;

CREATE TABLE release_decisions (
  release_id text NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
  seq integer NOT NULL,                      -- order in which the workflow received them
  decision_id text,                          -- the signed claim's id, when it had one
  gate_id text NOT NULL,
  actor text NOT NULL,                       -- who the claim said decided, verified or not
  roles text[] NOT NULL,                     -- the roles it claimed
  decision text NOT NULL,
  comment text,
  outcome text NOT NULL CHECK (outcome IN ('counted','refused')),
  refusal text,
  reason text,
  seat text,
  via text NOT NULL CHECK (via IN ('update','signal')),
  decided_at timestamptz NOT NULL,
  PRIMARY KEY (release_id, seq)
);
INSERT INTO release_decisions (release_id, seq, gate_id, actor, roles, decision, comment, outcome, via, decided_at)
  SELECT release_id, row_number() OVER (PARTITION BY release_id ORDER BY decided_at), gate_id, approver, roles,
         decision, comment, 'counted', 'signal', decided_at
  FROM release_approvals;
DROP TABLE release_approvals;

-- Down Migration
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
INSERT INTO release_approvals (release_id, gate_id, approver, roles, decision, comment, decided_at)
  SELECT release_id, gate_id, actor, roles, decision, comment, decided_at FROM release_decisions
  WHERE outcome = 'counted' ON CONFLICT DO NOTHING;
DROP TABLE release_decisions;
DROP INDEX releases_unfinished_idx;
DROP INDEX releases_environments_idx;
DROP INDEX releases_service_lock_idx;
CREATE UNIQUE INDEX releases_one_active_per_service_idx ON releases (service) WHERE finished_at IS NULL;
ALTER TABLE releases
  DROP COLUMN workflow_type,
  DROP COLUMN environments,
  DROP COLUMN holds_lock,
  DROP COLUMN claimed_at,
  DROP COLUMN record_seq,
  DROP COLUMN current_environment,
  DROP COLUMN pending_gate,
  DROP COLUMN rollback_plan;
