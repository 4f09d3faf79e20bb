-- Up Migration
-- A release's record version: one number that changes whenever anything a release view shows
-- changes — the record itself (status, rollback, documents), its steps, decisions, alerts and their
-- deliveries. The API keeps assembled views keyed by it: each read asks only for the number, and
-- several API replicas, which share nothing but this database, never serve one that changed.
ALTER TABLE releases ADD COLUMN record_version bigint NOT NULL DEFAULT 1;

CREATE FUNCTION releases_next_record_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.record_version := OLD.record_version + 1;
  RETURN NEW;
END
$$;
CREATE TRIGGER releases_record_version BEFORE UPDATE ON releases
  FOR EACH ROW EXECUTE FUNCTION releases_next_record_version();

-- A row added to (or changed in, or removed from) a table the view reads moves its release's version.
CREATE FUNCTION release_part_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE releases SET record_version = record_version + 1
   WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.release_id ELSE NEW.release_id END;
  RETURN NULL;
END
$$;
CREATE TRIGGER release_steps_record_version AFTER INSERT OR UPDATE OR DELETE ON release_steps
  FOR EACH ROW EXECUTE FUNCTION release_part_changed();
CREATE TRIGGER release_decisions_record_version AFTER INSERT OR UPDATE OR DELETE ON release_decisions
  FOR EACH ROW EXECUTE FUNCTION release_part_changed();
CREATE TRIGGER release_alerts_record_version AFTER INSERT OR UPDATE OR DELETE ON release_alerts
  FOR EACH ROW EXECUTE FUNCTION release_part_changed();
CREATE TRIGGER release_alert_deliveries_record_version AFTER INSERT OR UPDATE OR DELETE ON release_alert_deliveries
  FOR EACH ROW EXECUTE FUNCTION release_part_changed();

-- Down Migration
DROP TRIGGER release_alert_deliveries_record_version ON release_alert_deliveries;
DROP TRIGGER release_alerts_record_version ON release_alerts;
DROP TRIGGER release_decisions_record_version ON release_decisions;
DROP TRIGGER release_steps_record_version ON release_steps;
DROP FUNCTION release_part_changed();
DROP TRIGGER releases_record_version ON releases;
DROP FUNCTION releases_next_record_version();
ALTER TABLE releases DROP COLUMN record_version;
