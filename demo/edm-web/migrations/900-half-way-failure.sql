-- Up Migration
-- Carried only by builds marked `+migration-fails` (see versions.json): it changes the schema, then
-- fails, as a migration that meets data it did not expect would. Migrations run in one transaction,
-- so the table and column made here, and every migration run with it, are rolled back.
CREATE TABLE campaign_archive (id bigint PRIMARY KEY, archived_at timestamptz NOT NULL DEFAULT now());
ALTER TABLE campaigns ADD COLUMN archived boolean NOT NULL DEFAULT false;
DO $$
BEGIN
  RAISE EXCEPTION 'campaign archive: found campaigns that cannot be archived (edm-web demo fault)';
END
$$;

-- Down Migration
ALTER TABLE campaigns DROP COLUMN archived;
DROP TABLE campaign_archive;
