-- API keys: only a hash of the secret part is stored; the key is shown once.
CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY,
    key_id      TEXT NOT NULL UNIQUE,   -- public part, shown in lists ("pkr_ab12cd34")
    secret_hash TEXT NOT NULL,          -- sha256 of the secret part, hex
    scope       TEXT NOT NULL,          -- "coordinator" or "member:<member id>"
    name        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
