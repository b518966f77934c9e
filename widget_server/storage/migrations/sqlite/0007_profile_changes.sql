-- Profile changes made in the member portal that wait for a coordinator's approval
-- (themes whose rules say portal.approve_profile_changes). At most one per member:
-- a newer change replaces the older one and counts up the revision, so an approval
-- applies exactly the revision the coordinator saw. Approved or rejected changes
-- are deleted; the audit log keeps what was decided.
CREATE TABLE profile_changes (
    member_id         INTEGER PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    revision          INTEGER NOT NULL DEFAULT 1,
    changes           TEXT NOT NULL DEFAULT '{}',  -- JSON: profile field -> proposed value
    logo_digest       TEXT,                         -- a proposed logo, checked like logos
    logo_content_type TEXT,
    logo_width        INTEGER,
    logo_height       INTEGER,
    logo_data         BLOB,
    submitted_at      TEXT NOT NULL
);
