-- The ledger's history stored as what changed (docs/rotation.md, "Retention"):
-- a theme's first version of a day is a full document (a checkpoint), each
-- later one that day holds only the members and hosts whose figures changed
-- against the version before it.  A replay reads one checkpoint and at most
-- that day's deltas.  Mirrors postgres/0014.
--
-- `kind`: 'full' or 'delta'; `checkpoint`: the version of the full document the
-- row builds on (its own for a full one).  Every stored version so far is full.
ALTER TABLE ledger_versions ADD COLUMN kind TEXT NOT NULL DEFAULT 'full';
ALTER TABLE ledger_versions ADD COLUMN checkpoint INTEGER NOT NULL DEFAULT 0;
UPDATE ledger_versions SET checkpoint = version;
CREATE INDEX ledger_versions_chain ON ledger_versions (theme_id, checkpoint, version);

-- Each theme's latest chain: what a poll and a computation continue from.
ALTER TABLE ledger_current ADD COLUMN checkpoint INTEGER NOT NULL DEFAULT 0;
UPDATE ledger_current SET checkpoint = version;
