-- Up Migration
-- A campaign may be scheduled rather than sent at once; existing campaigns keep no schedule.
ALTER TABLE campaigns ADD COLUMN scheduled_at timestamptz;
CREATE INDEX campaigns_scheduled_at_idx ON campaigns (scheduled_at) WHERE scheduled_at IS NOT NULL;

-- Down Migration
DROP INDEX campaigns_scheduled_at_idx;
ALTER TABLE campaigns DROP COLUMN scheduled_at;
