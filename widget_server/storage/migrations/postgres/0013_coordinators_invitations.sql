-- Several coordinators (deactivation, one-time password reset links), invitations and
-- applications of businesses, and the network's own member categories
-- (storage/coordinators.py, storage/invitations.py).  Mirrors sqlite/0010.
ALTER TABLE accounts ADD COLUMN deactivated_at TIMESTAMPTZ;  -- NULL: may sign in

CREATE TABLE password_resets (
    link_id    TEXT COLLATE "C" PRIMARY KEY,
    username   TEXT COLLATE "C" NOT NULL REFERENCES accounts (username) ON DELETE CASCADE,
    expires_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX password_resets_user ON password_resets (username);

CREATE TABLE invitations (
    id         TEXT COLLATE "C" PRIMARY KEY,
    theme_id   BIGINT NOT NULL REFERENCES themes (id) ON DELETE CASCADE,
    single_use INTEGER NOT NULL DEFAULT 0,
    uses       BIGINT NOT NULL DEFAULT 0,
    note       TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX invitations_theme ON invitations (theme_id);

CREATE TABLE applications (
    member_id     BIGINT PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    theme_id      BIGINT NOT NULL REFERENCES themes (id) ON DELETE CASCADE,
    invitation_id TEXT COLLATE "C",
    submitted_at  TIMESTAMPTZ NOT NULL,
    decision      TEXT CHECK (decision IN ('approved', 'declined')),
    note          TEXT NOT NULL DEFAULT '',
    decided_by    TEXT,
    decided_at    TIMESTAMPTZ
);

CREATE TABLE categories (
    slug       TEXT COLLATE "C" PRIMARY KEY,
    label_de   TEXT NOT NULL,
    label_en   TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
