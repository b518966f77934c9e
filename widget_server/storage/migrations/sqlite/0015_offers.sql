-- Joint offers: a package several members of one theme offer together, with its
-- participants and their confirmations (storage/offers.py, docs/offers.md).
-- Mirrors postgres/0014_offers.sql.  Offers are not part of the widget's snapshot,
-- so writing them bumps no data version.
CREATE TABLE offers (
    id                 INTEGER PRIMARY KEY,
    slug               TEXT NOT NULL UNIQUE,
    theme_id           INTEGER NOT NULL REFERENCES themes (id) ON DELETE CASCADE,
    proposer_id        INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    title              TEXT NOT NULL,
    text               TEXT NOT NULL DEFAULT '',
    price_text         TEXT NOT NULL DEFAULT '',
    valid_from         TEXT NOT NULL,  -- ISO day
    valid_until        TEXT NOT NULL,  -- ISO day, inclusive
    status             TEXT NOT NULL DEFAULT 'proposed'
                       CHECK (status IN ('proposed', 'active', 'declined', 'removed')),
    needs_approval     INTEGER NOT NULL DEFAULT 0,
    approved_by        TEXT,
    approved_at        TEXT,
    image_digest       TEXT,
    image_content_type TEXT,
    image_width        INTEGER,
    image_height       INTEGER,
    image_data         BLOB,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    CHECK (valid_from <= valid_until)
);
CREATE INDEX offers_theme ON offers (theme_id, status);

CREATE TABLE offer_participants (
    offer_id     INTEGER NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    member_id    INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,  -- 0: the proposer
    confirmed_at TEXT,              -- NULL: not (or no longer) confirmed
    PRIMARY KEY (offer_id, member_id)
);
CREATE INDEX offer_participants_member ON offer_participants (member_id);
