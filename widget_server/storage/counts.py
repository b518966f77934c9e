"""The daily counters: what the counting flush writes and stats and the ledger read."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date

from widget_server.core.models import CounterRow
from widget_server.storage.dialect import Dialect, Row
from widget_server.storage.ledger import record_exposure, record_served
from widget_server.storage.queries import Queries, where

CONVERTED_ON_LOOP = 2_000  # rows made into CounterRows on the event loop; more in a thread

# Name and PostgreSQL type (for the bulk upsert's arrays) of each column.
COUNTER_TYPES = (
    ("day", "date"),
    ("theme_id", "bigint"),
    ("host_id", "bigint"),
    ("partner_id", "bigint"),
    ("kind", "text"),
    ("count", "bigint"),
    ("exposure", "float8"),
)
COUNTER_COLUMNS = ", ".join(name for name, _ in COUNTER_TYPES)
ADD_ON_CONFLICT = (
    " ON CONFLICT (day, theme_id, host_id, partner_id, kind)"
    " DO UPDATE SET count = daily_counters.count + excluded.count,"
    " exposure = daily_counters.exposure + excluded.exposure"
)

CounterKey = tuple[date, int, int, int, str]


def summed(rows: Sequence[CounterRow]) -> list[tuple[CounterKey, int, float]]:
    """One row per key, sorted by key."""
    totals: dict[CounterKey, tuple[int, float]] = {}
    for r in rows:
        key = (r.day, r.theme_id, r.host_id, r.partner_id, r.kind)
        count, exposure = totals.get(key, (0, 0.0))
        totals[key] = (count + r.count, exposure + r.exposure)
    return [(key, *totals[key]) for key in sorted(totals)]


def counter_from(dialect: Dialect, row: Row) -> CounterRow:
    return CounterRow(dialect.from_day(row[0]), row[1], row[2], row[3], row[4], row[5], row[6])


class Counts(Queries):
    async def add_counts(self, rows: Sequence[CounterRow]) -> None:
        if not rows:
            return
        day = self._dialect.day
        if self._dialect.concurrent_writers:
            # Summed per key and sorted: the one statement touches each row once, and
            # processes flushing at the same moment lock rows in the same order (no
            # deadlocks).  SQLite upserts row by row under its one writer and needs
            # neither (sorting would cost a fifth of the flush there).
            values = [(day(k[0]), *k[1:], c, e) for k, c, e in summed(rows)]
        else:
            values = [
                (day(r.day), r.theme_id, r.host_id, r.partner_id, r.kind, r.count, r.exposure)
                for r in rows
            ]
        async with self._write(bump=False) as conn:
            await self._dialect.insert_rows(
                conn, "daily_counters", COUNTER_TYPES, values, ADD_ON_CONFLICT
            )
            await record_exposure(conn, self._dialect, rows)
            await record_served(
                conn,
                self._dialect,
                [(r.day, r.theme_id, r.host_id) for r in rows if r.kind == "served"],
            )

    async def list_counts(
        self, *, since: date | None = None, theme_id: int | None = None
    ) -> list[CounterRow]:
        clause, params = where(
            ("day >= ?", self._dialect.day(since) if since else None), ("theme_id = ?", theme_id)
        )
        rows = await self._fetch(
            f"SELECT {COUNTER_COLUMNS} FROM daily_counters{clause}"
            " ORDER BY day, theme_id, host_id, partner_id, kind",
            *params,
        )
        dialect = self._dialect
        if len(rows) < CONVERTED_ON_LOOP:
            return [counter_from(dialect, r) for r in rows]
        # A theme's month at 10,000 members is some 50,000 rows: 70 ms of the loop.
        return await asyncio.to_thread(lambda: [counter_from(dialect, r) for r in rows])

    async def member_counts(
        self, member_id: int, *, since: date | None = None, theme_id: int | None = None
    ) -> list[CounterRow]:
        """What one member's report reads: in the member's themes (or ``theme_id``), the
        rows it gave or received, and every host's block views (its exposure bound)."""
        themes = (
            "theme_id = ?"
            if theme_id is not None
            else "theme_id IN (SELECT theme_id FROM memberships WHERE member_id = ?)"
        )
        clause, params = where(
            (themes, theme_id if theme_id is not None else member_id),
            ("day >= ?", self._dialect.day(since) if since else None),
        )
        rows = await self._fetch(
            f"SELECT {COUNTER_COLUMNS} FROM daily_counters{clause}"
            " AND (host_id = ? OR partner_id = ? OR (partner_id = 0 AND kind = 'viewed'))"
            " ORDER BY day, theme_id, host_id, partner_id, kind",
            *params,
            member_id,
            member_id,
        )
        return [counter_from(self._dialect, r) for r in rows]

    async def exposure_since(self, since: date, theme_id: int | None = None) -> list[CounterRow]:
        """The ``viewed`` rows from ``since`` on: what the fairness ledger is made of."""
        clause, params = where(("theme_id = ?", theme_id))
        rows = await self._fetch(
            f"SELECT {COUNTER_COLUMNS} FROM daily_counters"
            f" WHERE kind = 'viewed' AND day >= ?{clause.replace(' WHERE', ' AND')}"
            " ORDER BY day",
            self._dialect.day(since),
            *params,
        )
        return [counter_from(self._dialect, r) for r in rows]

    async def last_served(self, theme_id: int | None = None) -> dict[tuple[int, int], date]:
        """(theme id, host id) -> the last day a block of that host was served."""
        clause, params = where(("theme_id = ?", theme_id))
        rows = await self._fetch(f"SELECT theme_id, host_id, day FROM last_served{clause}", *params)
        return {(r[0], r[1]): self._dialect.from_day(r[2]) for r in rows}
