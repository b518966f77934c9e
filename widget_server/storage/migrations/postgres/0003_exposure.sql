-- Position-weighted exposure of viewed blocks, for the fair-exchange ledger:
-- the sum of 1/log2(1 + position) over counted views (0 for other kinds). Mirrors sqlite/0003.
ALTER TABLE daily_counters ADD COLUMN exposure DOUBLE PRECISION NOT NULL DEFAULT 0;
CREATE INDEX daily_counters_theme_day ON daily_counters (theme_id, day);
