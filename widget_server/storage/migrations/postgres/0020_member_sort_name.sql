-- A member's name as the German order sorts and searches it (core/collation.sort_key);
-- mirrors sqlite/0020.  Bytewise like SQLite's text, so both sort alike.
ALTER TABLE members ADD COLUMN sort_name TEXT COLLATE "C";
CREATE INDEX members_unsorted ON members (id) WHERE sort_name IS NULL;
