-- Sessions of our signed-in pages and members' portal links, kept server-side so
-- that logout, a password change and a member's removal end them at once
-- (storage/access.py).  The cookie and the link stay signed; a row only says the
-- session or link is still valid.  Mirrors postgres/0009.
CREATE TABLE sessions (
    sid        TEXT PRIMARY KEY,  -- the random session id the signed cookie carries
    kind       TEXT NOT NULL,     -- 'admin' or 'portal'
    subject    TEXT NOT NULL,     -- admin: the user name; portal: the member id
    expires_at REAL NOT NULL      -- unix seconds: the session's end at the latest
);
CREATE INDEX sessions_subject ON sessions (kind, subject);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE portal_links (
    link_id    TEXT PRIMARY KEY,  -- random; the signed token names it
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    expires_at REAL NOT NULL      -- unix seconds
);
CREATE INDEX portal_links_member ON portal_links (member_id);
CREATE INDEX portal_links_expiry ON portal_links (expires_at);
