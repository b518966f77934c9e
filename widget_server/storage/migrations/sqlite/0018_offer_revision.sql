-- Joint offers are edited (network/offer_edits.py): each edit counts the offer's
-- revision up, and an edit, confirmation or approval names the revision it was made
-- on, so a stale page changes nothing unseen.  Mirrors postgres/0018.
ALTER TABLE offers ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
