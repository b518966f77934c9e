-- The theme page (/t/{slug}): an introduction the coordinators write, in German and
-- English (plain text; blank lines separate paragraphs), and when the theme itself was
-- last changed, for the sitemap's lastmod (storage/members.py).  Mirrors sqlite/0016.
ALTER TABLE themes ADD COLUMN intro_de TEXT NOT NULL DEFAULT '';
ALTER TABLE themes ADD COLUMN intro_en TEXT NOT NULL DEFAULT '';
ALTER TABLE themes ADD COLUMN updated_at TIMESTAMPTZ;  -- NULL: never changed since created_at
