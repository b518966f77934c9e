-- The network: themes, members, memberships, placements, rule sets.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('data_version', '1');

CREATE TABLE themes (
    id             INTEGER PRIMARY KEY,
    slug           TEXT NOT NULL UNIQUE,
    name_de        TEXT NOT NULL,
    name_en        TEXT NOT NULL DEFAULT '',
    description_de TEXT NOT NULL DEFAULT '',
    description_en TEXT NOT NULL DEFAULT '',
    kind           TEXT NOT NULL DEFAULT 'topic' CHECK (kind IN ('topic', 'local')),
    created_at     TEXT NOT NULL
);

CREATE TABLE members (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    website     TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    category    TEXT NOT NULL DEFAULT '',
    town        TEXT NOT NULL DEFAULT '',
    postal_code TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'active', 'paused', 'removed')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE member_domains (
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    domain    TEXT NOT NULL,
    PRIMARY KEY (member_id, domain)
);

CREATE TABLE logos (
    member_id    INTEGER PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    digest       TEXT NOT NULL,
    content_type TEXT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    data         BLOB NOT NULL,
    created_at   TEXT NOT NULL
);

CREATE TABLE memberships (
    member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    theme_id   INTEGER NOT NULL REFERENCES themes (id) ON DELETE CASCADE,
    status     TEXT NOT NULL DEFAULT 'active'
               CHECK (status IN ('pending', 'active', 'paused', 'left')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (member_id, theme_id)
);
CREATE INDEX memberships_theme ON memberships (theme_id);

CREATE TABLE placements (
    id           INTEGER PRIMARY KEY,
    member_id    INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    theme_id     INTEGER NOT NULL REFERENCES themes (id) ON DELETE CASCADE,
    -- NULL: not fixed by the placement; the embed's data- attribute or the default decides.
    layout       TEXT,
    max_partners INTEGER NOT NULL DEFAULT 3,
    lang         TEXT,
    scheme       TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX placements_member ON placements (member_id, theme_id);

-- Versioned: a change inserts a new row, so every version stays as the audit trail.
CREATE TABLE rule_sets (
    theme_id   INTEGER NOT NULL REFERENCES themes (id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    rules      TEXT NOT NULL,
    author     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (theme_id, version)
);
