-- Up Migration
-- R-CONFIG-CHANGE: `config-change` joins the release types. Its record keeps the configuration
-- revision in `version` (the release id and search attributes name it the same way), and the
-- request's reason, impact, rollback plan and sensitivity in `config_change`.
ALTER TABLE releases DROP CONSTRAINT releases_type_check;
ALTER TABLE releases
  ADD CONSTRAINT releases_type_check CHECK (type IN ('regular', 'hotfix', 'emergency', 'config-change'));
ALTER TABLE releases ADD COLUMN config_change jsonb;
-- GET /services/{service}/environments/{environment}: the newest release that deployed a version there.
CREATE INDEX releases_service_version_idx ON releases (service, version);

-- Down Migration
DROP INDEX releases_service_version_idx;
ALTER TABLE releases DROP COLUMN config_change;
ALTER TABLE releases DROP CONSTRAINT releases_type_check;
ALTER TABLE releases ADD CONSTRAINT releases_type_check CHECK (type IN ('regular', 'hotfix', 'emergency'));
