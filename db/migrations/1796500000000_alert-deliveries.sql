-- Up Migration
-- Alert delivery (R-ALERT): who an alert is meant for, and what became of it on each channel it was
-- routed to. A channel that keeps failing never stops the release; its failure is kept here.
ALTER TABLE release_alerts ADD COLUMN audience text[];

-- One row per channel and outcome: delivered, or failed after its last attempt. Facts, like the
-- alerts themselves: the application adds and reads them, never changes one. A retried activity that
-- records the same outcome again finds its row already there.
CREATE TABLE release_alert_deliveries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  release_id text NOT NULL,
  alert_key text NOT NULL,
  channel text NOT NULL,
  channel_type text NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('delivered', 'failed')),
  attempts integer NOT NULL CHECK (attempts >= 1),
  error text,
  at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (release_id, alert_key) REFERENCES release_alerts (release_id, alert_key),
  UNIQUE (release_id, alert_key, channel)
);
CREATE INDEX release_alert_deliveries_at_idx ON release_alert_deliveries (at DESC);
REVOKE UPDATE, DELETE, TRUNCATE ON release_alert_deliveries FROM runway_app;

-- Down Migration
DROP TABLE release_alert_deliveries;
ALTER TABLE release_alerts DROP COLUMN audience;
