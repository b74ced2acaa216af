-- 007_idempotency: Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) records shared by
-- every node, and the request id of each audit row.

-- One row per (credential scope, key). The row is inserted first (state 'in_flight'): the
-- primary key lets exactly one of two concurrent requests with the same key run; the winner
-- then stores its response ('completed') or, when the response carried a private key that
-- iotreg never keeps, only its status ('not_replayable', hash and body cleared).
CREATE TABLE idempotency_keys (
  scope         text NOT NULL CHECK (scope <> ''),  -- "api_key:<id>" (a tenant later)
  idem_key      text NOT NULL CHECK (octet_length(idem_key) BETWEEN 1 AND 255),
  request_hash  text NOT NULL CHECK (request_hash ~ '^([0-9a-f]{64})?$'),
  state         text NOT NULL DEFAULT 'in_flight'
                CHECK (state IN ('in_flight', 'completed', 'not_replayable')),
  status        smallint CHECK (status BETWEEN 100 AND 599),
  content_type  text,
  headers       text,  -- "Name: value" lines (Location)
  body          bytea,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  PRIMARY KEY (scope, idem_key),
  CHECK ((state = 'in_flight') = (status IS NULL)),
  CHECK (state <> 'not_replayable' OR (body IS NULL AND request_hash = ''))
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);

-- The X-Request-Id of the API request that made the change (null outside the API).
ALTER TABLE audit_log ADD COLUMN request_id text;
