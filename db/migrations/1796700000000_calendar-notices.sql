-- Up Migration
-- One notice a day that the release calendar's holiday data is about to end (R-WINDOW-4): the row of a
-- day is claimed by the first worker that sends it, so several workers send it once.
CREATE TABLE calendar_notices (
  day date PRIMARY KEY,
  effective_until timestamptz NOT NULL,
  sent_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE calendar_notices;
