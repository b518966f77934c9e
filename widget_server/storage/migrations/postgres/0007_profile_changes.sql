-- Profile changes made in the member portal that wait for a coordinator's approval,
-- at most one per member (a newer one replaces it and counts up the revision).
-- Mirrors sqlite/0007.
CREATE TABLE profile_changes (
    member_id         BIGINT PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    revision          INTEGER NOT NULL DEFAULT 1,
    changes           TEXT NOT NULL DEFAULT '{}',  -- JSON: profile field -> proposed value
    logo_digest       TEXT,                         -- a proposed logo, checked like logos
    logo_content_type TEXT,
    logo_width        INTEGER,
    logo_height       INTEGER,
    logo_data         BYTEA,
    submitted_at      TIMESTAMPTZ NOT NULL
);
