-- Mail (issue 15): members' addresses and opt-outs, and the outbox the worker sends
-- from (storage/mail.py).  Mirrors postgres/0010.
CREATE TABLE mail_contacts (
    member_id  INTEGER PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    email      TEXT NOT NULL,
    language   TEXT NOT NULL DEFAULT 'de',
    opt_outs   TEXT NOT NULL DEFAULT '',  -- kinds of mail, space separated
    updated_at TEXT NOT NULL
);

-- Coordinators' opt-out of their digest, by address (they are no members).
CREATE TABLE mail_opt_outs (
    email TEXT NOT NULL,
    kind  TEXT NOT NULL,
    PRIMARY KEY (email, kind)
);

CREATE TABLE mail_outbox (
    id            INTEGER PRIMARY KEY,
    key           TEXT NOT NULL UNIQUE,  -- what the mail is for: queued once however often asked
    kind          TEXT NOT NULL,
    member_id     INTEGER REFERENCES members (id) ON DELETE CASCADE,
    recipient     TEXT NOT NULL,
    message       TEXT NOT NULL,          -- the whole encoded message
    status        TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_attempt  REAL NOT NULL,          -- unix seconds
    claimed_until REAL NOT NULL DEFAULT 0, -- unix seconds: a worker holds it until then
    last_error    TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    sent_at       TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt);
CREATE INDEX mail_outbox_member ON mail_outbox (member_id);
