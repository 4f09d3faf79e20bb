-- Up Migration
-- R-RB-DB: the backup a release takes of a service's database before it migrates it, kept with the
-- release record where every worker can reach it. Only ciphertext is stored (security/backup-cipher.ts):
-- the key id names the key that opens it, the SHA-256 of the plain dump proves a restore complete.
CREATE TABLE release_backups (
  id text PRIMARY KEY,
  release_id text NOT NULL REFERENCES releases (id),
  step_id text NOT NULL,
  service text NOT NULL,
  environment text NOT NULL,
  migration_id text,                        -- the database's last migration when it was taken; NULL: none
  key_id text NOT NULL,
  size_bytes bigint NOT NULL CHECK (size_bytes >= 0),      -- of the plain dump
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),  -- of the plain dump
  format text NOT NULL DEFAULT 'pg_dump-custom',
  created_at timestamptz NOT NULL DEFAULT now(),
  ciphertext bytea NOT NULL
);
-- One backup per migrate step of a release: a retried backup finds the one already taken.
CREATE UNIQUE INDEX release_backups_release_step_idx ON release_backups (release_id, step_id);
-- The workers take backups and the restore script reads them, both as runway_app; none may change or
-- remove one (the default privileges from the audit trail's migration would give UPDATE and DELETE).
REVOKE UPDATE, DELETE, TRUNCATE ON release_backups FROM runway_app;
GRANT SELECT, INSERT ON release_backups TO runway_app;

-- Down Migration
DROP TABLE release_backups;
