-- Answers to POST requests that carried an Idempotency-Key, per API key, kept 24 hours
-- so that a retried request gets the first answer instead of acting twice. Mirrors sqlite/0005.
CREATE TABLE idempotency_keys (
    api_key_id  TEXT COLLATE "C" NOT NULL,      -- public key id of the caller ("pkr_ab12cd34")
    key         TEXT COLLATE "C" NOT NULL,      -- the client's Idempotency-Key
    fingerprint TEXT NOT NULL,                  -- sha256 of method, path and body
    created_at  DOUBLE PRECISION NOT NULL,      -- unix seconds
    status      INTEGER NOT NULL DEFAULT 0,     -- 0 while the first request is still running
    headers     TEXT NOT NULL DEFAULT '[]',     -- JSON [[name, value], ...] of the answer
    body        BYTEA NOT NULL DEFAULT '\x'::bytea,
    PRIMARY KEY (api_key_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
