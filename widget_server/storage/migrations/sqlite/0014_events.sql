-- Joint events of members (storage/events.py, docs/events.md): a wedding fair, a
-- late-night shopping evening. Times are UTC; SQLite keeps them as ISO text of one
-- shape ("2027-01-17T09:00:00+00:00"), so text order is time order.
-- Mirrors postgres/0014.
CREATE TABLE events (
    id               INTEGER PRIMARY KEY,
    slug             TEXT NOT NULL UNIQUE,
    theme_id         INTEGER REFERENCES themes (id) ON DELETE CASCADE,  -- NULL: network-wide
    title            TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    starts_at        TEXT NOT NULL,
    ends_at          TEXT NOT NULL,
    place_name       TEXT NOT NULL DEFAULT '',
    street           TEXT NOT NULL DEFAULT '',
    postal_code      TEXT NOT NULL DEFAULT '',
    town             TEXT NOT NULL DEFAULT '',
    registration_url TEXT,
    status           TEXT NOT NULL DEFAULT 'published'
                     CHECK (status IN ('proposed', 'published', 'cancelled', 'declined')),
    proposed_by      INTEGER REFERENCES members (id) ON DELETE SET NULL,
    sequence         INTEGER NOT NULL DEFAULT 0,  -- counts edits: iCalendar SEQUENCE
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX events_theme_end ON events (theme_id, ends_at);
CREATE INDEX events_end ON events (ends_at);

CREATE TABLE event_participants (
    event_id  INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,  -- the order the participants were given in
    PRIMARY KEY (event_id, member_id)
);
CREATE INDEX event_participants_member ON event_participants (member_id);
