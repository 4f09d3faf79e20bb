-- Up Migration
-- Recipients who unsubscribed, and from which campaign's mail: no campaign may reach them again.
CREATE TABLE unsubscribes (
  email text PRIMARY KEY,
  campaign_id bigint REFERENCES campaigns (id) ON DELETE SET NULL,
  unsubscribed_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE campaigns ADD COLUMN sender text NOT NULL DEFAULT 'news@edm.example';

-- Down Migration
ALTER TABLE campaigns DROP COLUMN sender;
DROP TABLE unsubscribes;
