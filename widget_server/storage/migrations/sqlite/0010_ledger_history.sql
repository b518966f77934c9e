-- The fairness ledger kept in the database per theme and member, and the history
-- that `explain --at` replays from (docs/rotation.md, "The ledger in the database").

-- Each day's viewed exposure summed per theme and member (given on its pages,
-- received on others'), kept by the counting flush: what the ledger job reads.
CREATE TABLE daily_exposure (
    day       TEXT NOT NULL,
    theme_id  INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    given     REAL NOT NULL,
    received  REAL NOT NULL,
    PRIMARY KEY (day, theme_id, member_id)
);
INSERT INTO daily_exposure (day, theme_id, member_id, given, received)
    SELECT day, theme_id, member_id, SUM(given), SUM(received) FROM (
        SELECT day, theme_id, host_id AS member_id, exposure AS given, 0 AS received
        FROM daily_counters WHERE kind = 'viewed' AND exposure > 0
        UNION ALL
        SELECT day, theme_id, partner_id, 0, exposure
        FROM daily_counters WHERE kind = 'viewed' AND exposure > 0
    ) sides GROUP BY day, theme_id, member_id;

-- Decayed sums of the closed days: as of `day`, the viewed exposure of the days
-- from day - window_days to day - 2, each weighing 2^-((day - D) / half_life_days).
CREATE TABLE ledger_base (
    theme_id  INTEGER NOT NULL,
    member_id INTEGER NOT NULL,
    given     REAL NOT NULL,
    received  REAL NOT NULL,
    PRIMARY KEY (theme_id, member_id)
);
CREATE TABLE ledger_base_themes (
    theme_id       INTEGER PRIMARY KEY,
    day            TEXT NOT NULL,
    half_life_days REAL NOT NULL,
    window_days    INTEGER NOT NULL
);

-- Every published ledger of a theme (a new version only when its figures changed),
-- kept for the replay; the ledger job prunes versions past the retention.
CREATE TABLE ledger_versions (
    theme_id    INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    computed_at REAL NOT NULL,               -- unix seconds
    digest      TEXT NOT NULL,               -- sha256 of the document
    document    TEXT NOT NULL,               -- JSON, rotation/ledger.py
    PRIMARY KEY (theme_id, version)
);
CREATE INDEX ledger_versions_time ON ledger_versions (theme_id, computed_at);
CREATE INDEX ledger_versions_age ON ledger_versions (computed_at);
-- Each theme's latest version: what a poll reads and a computation compares with,
-- without scanning the history.
CREATE TABLE ledger_current (
    theme_id INTEGER PRIMARY KEY,
    version  INTEGER NOT NULL,
    digest   TEXT NOT NULL
);
DELETE FROM meta WHERE key = 'ledger';

-- The last day a block of each host was served, kept by the counting flush.
CREATE TABLE last_served (
    theme_id INTEGER NOT NULL,
    host_id  INTEGER NOT NULL,
    day      TEXT NOT NULL,
    PRIMARY KEY (theme_id, host_id)
);
INSERT INTO last_served (theme_id, host_id, day)
    SELECT theme_id, host_id, MAX(day) FROM daily_counters WHERE kind = 'served'
    GROUP BY theme_id, host_id;

-- Member status (theme_id 0) and membership status (theme_id > 0) over time, written in
-- the transaction that changes it; the rows before this migration start at creation.
CREATE TABLE status_history (
    id        INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL,
    theme_id  INTEGER NOT NULL DEFAULT 0,
    status    TEXT NOT NULL,
    at        REAL NOT NULL                  -- unix seconds
);
CREATE INDEX status_history_member ON status_history (member_id, theme_id, at);
INSERT INTO status_history (member_id, theme_id, status, at)
    SELECT id, 0, status, CAST(strftime('%s', created_at) AS REAL) FROM members;
INSERT INTO status_history (member_id, theme_id, status, at)
    SELECT member_id, theme_id, status, CAST(strftime('%s', created_at) AS REAL) FROM memberships;
