-- Visitor state shared by every server process (counting/visitors.py): one-time
-- claims, daily tallies per address, and the daily salts.  Every key is a salted
-- 16-byte hash; rows expire within two days and salts are deleted after two days,
-- after which no key can be linked to a visitor.  Mirrors postgres/0008.
CREATE TABLE visitor_claims (
    key        BLOB PRIMARY KEY,
    expires_at REAL NOT NULL  -- unix seconds
) WITHOUT ROWID;
CREATE INDEX visitor_claims_expiry ON visitor_claims (expires_at);

CREATE TABLE visitor_tallies (
    key        BLOB PRIMARY KEY,
    n          INTEGER NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX visitor_tallies_expiry ON visitor_tallies (expires_at);

CREATE TABLE visitor_salts (
    day  TEXT PRIMARY KEY,  -- YYYY-MM-DD, UTC
    salt BLOB NOT NULL
);

-- Beacons refused by a daily cap per address, per host member and day: a burst
-- from few addresses, shown to the coordinator (admin stats).  No visitor data.
CREATE TABLE daily_capped (
    day      TEXT NOT NULL,
    theme_id INTEGER NOT NULL,
    host_id  INTEGER NOT NULL,
    count    INTEGER NOT NULL,
    PRIMARY KEY (day, theme_id, host_id)
);
