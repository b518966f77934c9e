-- A member's name as the German order sorts and searches it (core/collation.sort_key):
-- the admin's member list sorts, searches and pages in the database instead of
-- computing the key of every member per request.  Written with the name; rows that
-- have none yet (all of them right after this migration, or rows written by other
-- tools) are filled in by Python after the migrations (storage/meta.py), found
-- through the partial index.
ALTER TABLE members ADD COLUMN sort_name TEXT;
CREATE INDEX members_unsorted ON members (id) WHERE sort_name IS NULL;
