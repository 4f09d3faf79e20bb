-- Up Migration
-- The environment each decision is about (its gate's, its order's), so a reader sees only the
-- decisions of the environments they read (R-AUTH). NULL for decisions recorded before: the reader
-- then works it out from the gate, or shows it only to readers of every environment of the release.
ALTER TABLE release_decisions ADD COLUMN environment text;

-- Down Migration
ALTER TABLE release_decisions DROP COLUMN environment;
