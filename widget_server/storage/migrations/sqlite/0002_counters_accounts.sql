-- Daily aggregates (no visitor data) and coordinator accounts.
CREATE TABLE daily_counters (
    day        TEXT NOT NULL,
    theme_id   INTEGER NOT NULL,
    host_id    INTEGER NOT NULL,
    partner_id INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('served', 'viewed', 'clicked')),
    count      INTEGER NOT NULL,
    PRIMARY KEY (day, theme_id, host_id, partner_id, kind)
) WITHOUT ROWID;

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL DEFAULT 'coordinator',
    created_at    TEXT NOT NULL
);
