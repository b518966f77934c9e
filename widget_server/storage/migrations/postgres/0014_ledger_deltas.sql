-- The ledger's history stored as what changed: a theme's first version of a day
-- is a full document (a checkpoint), each later one that day only the members and
-- hosts whose figures changed. Mirrors sqlite/0014.
ALTER TABLE ledger_versions ADD COLUMN kind TEXT NOT NULL DEFAULT 'full';
ALTER TABLE ledger_versions ADD COLUMN checkpoint BIGINT NOT NULL DEFAULT 0;
UPDATE ledger_versions SET checkpoint = version;
CREATE INDEX ledger_versions_chain ON ledger_versions (theme_id, checkpoint, version);

ALTER TABLE ledger_current ADD COLUMN checkpoint BIGINT NOT NULL DEFAULT 0;
UPDATE ledger_current SET checkpoint = version;
