-- Up Migration
-- While a release waits for its release window: until when and why (R-WINDOW-5).
ALTER TABLE releases ADD COLUMN waiting_window jsonb;

-- Down Migration
ALTER TABLE releases DROP COLUMN waiting_window;
