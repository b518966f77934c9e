-- The change log: what each network write changed, so that every process updates
-- its in-memory snapshot by reloading only that (serving/snapshot.py).  A write
-- bumps meta.data_version and adds one row per thing changed under the new
-- version: kind 'member', 'theme' or 'placement' with its id, or 'all' (0) when
-- the writer does not say (a full reload).  Only the latest versions are kept; a
-- process that is further behind reloads everything.  Mirrors postgres/0010.
CREATE TABLE changes (
    version INTEGER NOT NULL,  -- meta.data_version after the write
    kind    TEXT NOT NULL,     -- 'member', 'theme', 'placement' or 'all'
    ref     INTEGER NOT NULL   -- the id of what changed (0 for 'all')
);
CREATE INDEX changes_version ON changes (version);
