-- Up Migration
-- POST /releases with an Idempotency-Key header: the first request claims the key (per identity)
-- with the release id it will create, so a retry after a lost answer or a crashed API gets the same
-- release, never a second one. Kept at least 24 hours.
CREATE TABLE api_idempotency_keys (
  identity text NOT NULL,
  key text NOT NULL,
  request_hash text NOT NULL,
  release_id text NOT NULL,
  state text NOT NULL CHECK (state IN ('in-progress', 'done')),
  -- While a request works on the key, others answer 409; a request that died lets go of it then.
  locked_until timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (identity, key)
);
CREATE INDEX api_idempotency_keys_created_at_idx ON api_idempotency_keys (created_at);

-- Down Migration
DROP TABLE api_idempotency_keys;
