-- Up Migration
-- Oversight of a release (R-SLA, R-ESCALATE, R-POSTHOC, R-EXPIRE): its SLA deadline and whether it
-- was breached, every escalation notice sent while a gate waited, the post-hoc duty (owed since,
-- reminders, the link once attached) and the newer release that superseded it. A release awaiting
-- its documents is open (finished_at NULL) without the service's lock (holds_lock false), so the
-- partial unique index on the lock lets the next release of the service start.
ALTER TABLE releases
  ADD COLUMN sla jsonb,
  ADD COLUMN escalations jsonb NOT NULL DEFAULT '[]',
  ADD COLUMN post_hoc jsonb,
  ADD COLUMN superseded_by text;

-- Down Migration
ALTER TABLE releases
  DROP COLUMN sla,
  DROP COLUMN escalations,
  DROP COLUMN post_hoc,
  DROP COLUMN superseded_by;
