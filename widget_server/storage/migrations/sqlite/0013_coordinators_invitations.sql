-- Several coordinators (deactivation, one-time password reset links), invitations and
-- applications of businesses, and the network's own member categories
-- (storage/coordinators.py, storage/invitations.py).  Mirrors postgres/0010.
ALTER TABLE accounts ADD COLUMN deactivated_at TEXT;  -- NULL: may sign in

CREATE TABLE password_resets (
    link_id    TEXT PRIMARY KEY,  -- random; the signed reset link names it
    username   TEXT NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
    expires_at REAL NOT NULL      -- unix seconds; the row is deleted when the link is used
);
CREATE INDEX password_resets_user ON password_resets (username);

CREATE TABLE invitations (
    id         TEXT PRIMARY KEY,  -- random; the signed invitation link names it
    theme_id   INTEGER NOT NULL REFERENCES themes (id) ON DELETE CASCADE,
    single_use INTEGER NOT NULL DEFAULT 0,
    uses       INTEGER NOT NULL DEFAULT 0,  -- applications made with it
    note       TEXT NOT NULL DEFAULT '',    -- for whom (the coordinator's words)
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at REAL NOT NULL,               -- unix seconds
    revoked_at TEXT
);
CREATE INDEX invitations_theme ON invitations (theme_id);

CREATE TABLE applications (
    member_id     INTEGER PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    theme_id      INTEGER NOT NULL REFERENCES themes (id) ON DELETE CASCADE,
    invitation_id TEXT,                     -- NULL: from the public "join" page
    submitted_at  TEXT NOT NULL,
    decision      TEXT CHECK (decision IN ('approved', 'declined')),
    note          TEXT NOT NULL DEFAULT '',
    decided_by    TEXT,
    decided_at    TEXT
);

CREATE TABLE categories (
    slug       TEXT PRIMARY KEY,
    label_de   TEXT NOT NULL,
    label_en   TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
