-- Visitor state shared by every server process (counting/visitors.py): one-time
-- claims, daily tallies per address, and the daily salts.  Every key is a salted
-- 16-byte hash; rows expire within two days and salts are deleted after two days,
-- after which no key can be linked to a visitor.  Mirrors sqlite/0008.
CREATE TABLE visitor_claims (
    key        BYTEA PRIMARY KEY,
    expires_at DOUBLE PRECISION NOT NULL  -- unix seconds
);
CREATE INDEX visitor_claims_expiry ON visitor_claims (expires_at);

CREATE TABLE visitor_tallies (
    key        BYTEA PRIMARY KEY,
    n          BIGINT NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX visitor_tallies_expiry ON visitor_tallies (expires_at);

CREATE TABLE visitor_salts (
    day  DATE PRIMARY KEY,
    salt BYTEA NOT NULL
);

-- Beacons refused by a daily cap per address, per host member and day: a burst
-- from few addresses, shown to the coordinator (admin stats).  No visitor data.
CREATE TABLE daily_capped (
    day      DATE NOT NULL,
    theme_id BIGINT NOT NULL,
    host_id  BIGINT NOT NULL,
    count    BIGINT NOT NULL,
    PRIMARY KEY (day, theme_id, host_id)
);
