"""The fairness ledger in the database: per-theme bases, published versions, last served.

One process per interval computes (PostgreSQL: ``pg_try_advisory_xact_lock``
held while computing; SQLite: a lease row in ``meta``, so the write lock is not
held) and stores, in one transaction, the bases that rolled, a new version of
each theme whose figures changed, and the deployment's version in ``meta``;
versions past the retention are pruned there too.

A theme's versions form one chain per day: a full document (the checkpoint)
and the deltas after it (``rotation/ledger.py``).  Reading a version reads its
checkpoint and the deltas up to it; pruning drops whole chains.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any

from widget_server.core.freeing import held, release
from widget_server.core.models import CounterRow
from widget_server.rotation.ledger import Base
from widget_server.storage.chunks import CHUNK, fetch_in_chunks, let_go, rows_of
from widget_server.storage.dialect import Connection, Dialect
from widget_server.storage.meta import read_meta, write_meta
from widget_server.storage.queries import Queries
from widget_server.storage.records import (
    LEDGER_KEYS,
    LedgerHead,
    LedgerUpdate,
    StoredLedger,
    ThemeVersion,
    ledger_from_meta,
)

# Seconds a process may take to compute the ledger before another one takes over
# (where the dialect has no transaction-scoped lock to claim the computation with).
LEDGER_LEASE = 300.0
LEDGER_LOCK = "partnerkreis.ledger:"
CLAIM_KEY = "ledger_claimed_at"

BASE_TYPES = (
    ("theme_id", "bigint"),
    ("member_id", "bigint"),
    ("given", "float8"),
    ("received", "float8"),
)
VERSION_TYPES = (
    ("theme_id", "bigint"),
    ("version", "bigint"),
    ("computed_at", "float8"),
    ("digest", "text"),
    ("document", "text"),
    ("kind", "text"),
    ("checkpoint", "bigint"),
)
EXPOSURE_TYPES = (
    ("day", "date"),
    ("theme_id", "bigint"),
    ("member_id", "bigint"),
    ("given", "float8"),
    ("received", "float8"),
)
SERVED_TYPES = (("theme_id", "bigint"), ("host_id", "bigint"), ("day", "date"))
CURRENT_TYPES = (
    ("theme_id", "bigint"),
    ("version", "bigint"),
    ("digest", "text"),
    ("checkpoint", "bigint"),
)


# hashlib lets go of the GIL to hash an input of 2,048 bytes or more.  The ledger job
# hashes thousands of documents in a worker thread, and letting go of the GIL and taking
# it back that often keeps the event loop's thread from getting it (a GIL convoy:
# stalls of 100-300 ms at 100,000 members).  So a document is hashed in pieces that
# hashlib hashes holding the GIL: the same digest, and the thread is switched out as
# any Python code is.
_HASHED_HOLDING_THE_GIL = 2047


def digest(document: str) -> str:
    """The SHA-256 of a ledger document (hex), which says whether a theme changed."""
    data = memoryview(document.encode())
    step = _HASHED_HOLDING_THE_GIL
    hashed = hashlib.sha256()
    for start in range(0, len(data), step):
        hashed.update(data[start : start + step])
    return hashed.hexdigest()


async def record_exposure(conn: Connection, dialect: Dialect, rows: Sequence[CounterRow]) -> None:
    """Add a flush's ``viewed`` exposure to ``daily_exposure``: given by each host,
    received by each partner (summed per key, sorted: concurrent flushes lock in order)."""
    sums: dict[tuple[date, int, int], tuple[float, float]] = {}
    for r in rows:
        if r.kind != "viewed" or not r.exposure:
            continue
        g, rc = sums.get((r.day, r.theme_id, r.host_id), (0.0, 0.0))
        sums[(r.day, r.theme_id, r.host_id)] = (g + r.exposure, rc)
        g, rc = sums.get((r.day, r.theme_id, r.partner_id), (0.0, 0.0))
        sums[(r.day, r.theme_id, r.partner_id)] = (g, rc + r.exposure)
    if not sums:
        return
    await dialect.insert_rows(
        conn,
        "daily_exposure",
        EXPOSURE_TYPES,
        [(dialect.day(d), t, m, g, r) for (d, t, m), (g, r) in sorted(sums.items())],
        " ON CONFLICT (day, theme_id, member_id) DO UPDATE SET"
        " given = daily_exposure.given + excluded.given,"
        " received = daily_exposure.received + excluded.received",
    )


async def record_served(
    conn: Connection, dialect: Dialect, served: Sequence[tuple[date, int, int]]
) -> None:
    """Keep ``last_served`` up to date from a flush's (day, theme, host) of served blocks."""
    latest: dict[tuple[int, int], date] = {}
    for day, theme_id, host_id in served:
        key = (theme_id, host_id)
        if key not in latest or day > latest[key]:
            latest[key] = day
    if not latest:
        return
    await dialect.insert_rows(
        conn,
        "last_served",
        SERVED_TYPES,
        [(t, h, dialect.day(d)) for (t, h), d in sorted(latest.items())],
        " ON CONFLICT (theme_id, host_id) DO UPDATE SET day = excluded.day"
        " WHERE excluded.day > last_served.day",
    )


class Ledger(Queries):
    # -- reads --------------------------------------------------------------------------------

    async def ledger_version(self) -> int:
        row = await self._fetchrow("SELECT value FROM meta WHERE key = 'ledger_version'")
        return int(row[0]) if row else 0

    async def get_ledger(self, since: int = 0) -> StoredLedger | None:
        async with self._snapshot() as conn:
            stored = ledger_from_meta(await read_meta(conn, LEDGER_KEYS))
            if stored is None:
                return None
            # A reader at `since` holds every version up to it: of a chain that began
            # after it, the whole chain; else only the deltas that followed.
            rows = await conn.fetch(
                "SELECT v.theme_id, v.version, v.computed_at, v.kind, v.document"
                " FROM ledger_current c JOIN ledger_versions v ON v.theme_id = c.theme_id"
                " AND v.checkpoint = c.checkpoint AND v.version <= c.version"
                " WHERE c.version > ? AND v.version > ? ORDER BY v.theme_id, v.version",
                since,
                since,
            )
        chains: dict[int, list[tuple[int, float, str, str]]] = {}
        for theme_id, version, computed_at, kind, document in rows:
            chains.setdefault(theme_id, []).append(
                (int(version), float(computed_at), kind, document)
            )
        themes = {t: _theme_version(t, chain) for t, chain in chains.items()}
        return StoredLedger(stored.version, stored.computed_at, themes)

    async def ledger_at(self, theme_id: int, at: float) -> ThemeVersion | None:
        async with self._snapshot() as conn:
            row = await conn.fetchrow(
                "SELECT version, checkpoint FROM ledger_versions"
                " WHERE theme_id = ? AND computed_at <= ?"
                " ORDER BY computed_at DESC, version DESC LIMIT 1",
                theme_id,
                at,
            )
            if row is None:
                return None
            # Checkpoint 0 (the column's default): a full version written without one.
            start = int(row[1]) or int(row[0])
            rows = await conn.fetch(
                "SELECT version, computed_at, kind, document FROM ledger_versions"
                " WHERE theme_id = ? AND version >= ? AND version <= ?"
                " AND (checkpoint = ? OR version = ?) ORDER BY version",
                theme_id,
                start,
                row[0],
                start,
                start,
            )
        chain = [(int(v), float(c), kind, doc) for v, c, kind, doc in rows]
        return _theme_version(theme_id, chain) if chain else None

    async def ledger_heads(self) -> dict[int, LedgerHead]:
        rows = await self._fetch("SELECT theme_id, version, checkpoint, digest FROM ledger_current")
        return {r[0]: LedgerHead(int(r[1]), int(r[2]), r[3]) for r in rows}

    async def ledger_bases(self) -> dict[int, Base]:
        dialect = self._dialect
        async with self._snapshot() as conn:
            heads = await conn.fetch(
                "SELECT theme_id, day, half_life_days, window_days FROM ledger_base_themes"
            )
            rows = await fetch_in_chunks(
                conn,
                dialect,
                "SELECT theme_id, member_id, given, received FROM ledger_base",
                "1 = 1",
                (),
            )

        # A row per membership: converted in a worker thread, off the event loop.
        def convert() -> dict[int, Base]:
            figures: dict[int, dict[int, tuple[float, float]]] = {}
            for theme_id, member_id, given, received in rows_of(rows):
                figures.setdefault(theme_id, {})[member_id] = (float(given), float(received))
            let_go(rows)  # here, not where the list goes: on the event loop
            return {
                t: Base(dialect.from_day(d), float(h), int(w), figures.get(t, {}))
                for t, d, h, w in heads
            }

        return await asyncio.to_thread(convert)

    async def served_days(self) -> dict[int, dict[int, date]]:
        """theme -> host -> the last day a block of that host was served (``last_served``)."""
        dialect = self._dialect
        from_day = dialect.from_day
        async with self._snapshot() as conn:
            rows = await fetch_in_chunks(
                conn, dialect, "SELECT theme_id, host_id, day FROM last_served", "1 = 1", ()
            )

        def convert() -> dict[int, dict[int, date]]:
            out: dict[int, dict[int, date]] = {}
            days: dict[Any, date] = {}  # the driver's value -> date, converted once
            for theme_id, host_id, day in rows_of(rows):
                if day not in days:
                    days[day] = from_day(day)
                out.setdefault(theme_id, {})[host_id] = days[day]
            let_go(rows)
            return out

        return await asyncio.to_thread(convert)

    async def day_exposure(self, day: date) -> dict[int, dict[int, tuple[float, float]]]:
        return (await self.exposure_days(day, day)).get(day, {})

    async def exposure_days(
        self, first: date, last: date, theme_id: int | None = None
    ) -> dict[date, dict[int, dict[int, tuple[float, float]]]]:
        """day -> theme -> member -> (given, received), from ``daily_exposure``."""
        dialect = self._dialect
        clause = " AND theme_id = ?" if theme_id is not None else ""
        only = [theme_id] if theme_id is not None else []
        async with self._snapshot() as conn:
            rows = await fetch_in_chunks(
                conn,
                dialect,
                "SELECT day, theme_id, member_id, given, received FROM daily_exposure",
                f"day >= ? AND day <= ?{clause}",
                (dialect.day(first), dialect.day(last), *only),
                keys=3,
            )

        def convert() -> dict[date, dict[int, dict[int, tuple[float, float]]]]:
            out: dict[date, dict[int, dict[int, tuple[float, float]]]] = {}
            days: dict[Any, date] = {}  # the driver's value -> date, converted once
            for day, theme, member, given, received in rows_of(rows):
                if day not in days:
                    days[day] = dialect.from_day(day)
                themes = out.setdefault(days[day], {})
                themes.setdefault(theme, {})[member] = (float(given), float(received))
            let_go(rows)
            return out

        return await asyncio.to_thread(convert)

    # -- the computation: one process at a time ---------------------------------------------

    async def ledger_due(self, *, stale_before: float, now: float) -> bool:
        """Whether ``publish_ledger`` would compute now: the stored ledger is not newer
        than ``stale_before`` and no other process is computing.  A look, not a
        claim: ``publish_ledger`` decides again under its lock or lease."""
        lock = self._dialect.try_xact_lock
        async with self._snapshot() as conn:
            # The lock is taken for this read-only transaction only: taken, nobody
            # else holds it; refused, another process is computing.
            if lock is not None and not await conn.fetchval(lock, LEDGER_LOCK):
                return False
            meta = await read_meta(conn, (*LEDGER_KEYS, CLAIM_KEY))
        stored = ledger_from_meta(meta)
        if stored is not None and stored.computed_at > stale_before:
            return False
        return lock is not None or float(meta.get(CLAIM_KEY, "-inf")) <= now - LEDGER_LEASE

    async def publish_ledger(
        self, compute: Callable[[], Awaitable[LedgerUpdate]], *, stale_before: float, now: float
    ) -> StoredLedger | None:
        lock = self._dialect.try_xact_lock
        if lock is None:
            return await self._publish_leased(compute, stale_before=stale_before, now=now)
        # The transaction holds the lock while `compute` reads through other connections.
        async with self._write(bump=False) as conn:
            if not await conn.fetchval(lock, LEDGER_LOCK):
                return None  # another process is computing
            stored = ledger_from_meta(await read_meta(conn, LEDGER_KEYS))
            if stored is not None and stored.computed_at > stale_before:
                return stored
            update = await compute()
            version = (stored.version if stored else 0) + 1
            await self._store(conn, version, now, update)
        # The bases (a membership each, on the day's first computation) are freed in a
        # worker thread, not where the update goes: on the event loop (core/freeing.py).
        objects = held([update.bases])
        del update
        await asyncio.to_thread(release, objects)
        return StoredLedger(version, now)

    async def _publish_leased(
        self, compute: Callable[[], Awaitable[LedgerUpdate]], *, stale_before: float, now: float
    ) -> StoredLedger | None:
        # One writer at a time claims the computation with a lease in meta, so the
        # computation itself does not hold the write lock (counts keep flushing).
        async with self._write(bump=False) as conn:
            meta = await read_meta(conn, (*LEDGER_KEYS, CLAIM_KEY))
            stored = ledger_from_meta(meta)
            if stored is not None and stored.computed_at > stale_before:
                return stored
            if float(meta.get(CLAIM_KEY, "-inf")) > now - LEDGER_LEASE:
                return None  # another process is computing
            await write_meta(conn, [(CLAIM_KEY, repr(now))])
        try:
            update = await compute()
        except BaseException:
            async with self._write(bump=False) as conn:
                await conn.execute("DELETE FROM meta WHERE key = ?", CLAIM_KEY)
            raise
        async with self._write(bump=False) as conn:
            version = int((await read_meta(conn, LEDGER_KEYS[:1])).get(LEDGER_KEYS[0], "0")) + 1
            await self._store(conn, version, now, update)
            await conn.execute("DELETE FROM meta WHERE key = ?", CLAIM_KEY)
        objects = held([update.bases])  # freed off the event loop, as above
        del update
        await asyncio.to_thread(release, objects)
        return StoredLedger(version, now)

    async def _store(
        self, conn: Connection, version: int, now: float, update: LedgerUpdate
    ) -> None:
        dialect = self._dialect
        themes = sorted(update.bases)
        if themes:
            await conn.executemany(
                "DELETE FROM ledger_base WHERE theme_id = ?", [(t,) for t in themes]
            )
            # A row per membership when every base rolled (the day's first computation):
            # made in a worker thread and sent in chunks, so neither the rows nor the
            # driver's encoding of them hold the event loop for long.
            rows = await asyncio.to_thread(
                lambda: [
                    (t, m, g, r)
                    for t in themes
                    for m, (g, r) in sorted(update.bases[t].figures.items())
                ]
            )
            for start in range(0, len(rows), CHUNK):
                await dialect.insert_rows(
                    conn, "ledger_base", BASE_TYPES, rows[start : start + CHUNK]
                )
            await asyncio.to_thread(release, rows)
            await conn.executemany(
                "INSERT INTO ledger_base_themes (theme_id, day, half_life_days, window_days)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (theme_id) DO UPDATE SET day = excluded.day,"
                " half_life_days = excluded.half_life_days, window_days = excluded.window_days",
                [
                    (t, dialect.day(b.day), b.half_life_days, b.window)
                    for t, b in ((t, update.bases[t]) for t in themes)
                ],
            )
        documents = [
            (t, version, now, p.digest, p.document, *_kind(p.checkpoint, version))
            for t, p in sorted(update.documents.items())
        ]
        if documents:
            await dialect.insert_rows(conn, "ledger_versions", VERSION_TYPES, documents)
            await dialect.insert_rows(
                conn,
                "ledger_current",
                CURRENT_TYPES,
                [(t, v, d, c) for t, v, _, d, _, _, c in documents],
                " ON CONFLICT (theme_id) DO UPDATE SET version = excluded.version,"
                " digest = excluded.digest, checkpoint = excluded.checkpoint",
            )
        # Whole chains past the retention, except each theme's latest (still in force):
        # a delta is never kept without the checkpoint it builds on.
        await conn.execute(
            "DELETE FROM ledger_versions WHERE computed_at < ? AND NOT EXISTS"
            " (SELECT 1 FROM ledger_current c WHERE c.theme_id = ledger_versions.theme_id"
            " AND c.checkpoint = ledger_versions.checkpoint) AND NOT EXISTS"
            " (SELECT 1 FROM ledger_versions k WHERE k.theme_id = ledger_versions.theme_id"
            " AND k.checkpoint = ledger_versions.checkpoint AND k.computed_at >= ?)",
            update.keep_since,
            update.keep_since,
        )
        await write_meta(conn, list(zip(LEDGER_KEYS, (str(version), repr(now)), strict=True)))


def _kind(checkpoint: int | None, version: int) -> tuple[str, int]:
    return ("full", version) if checkpoint is None else ("delta", checkpoint)


def _theme_version(theme_id: int, chain: Sequence[tuple[int, float, str, str]]) -> ThemeVersion:
    """A theme's version from its chain's rows (version order): a checkpoint first, or
    only deltas."""
    version, computed_at = chain[-1][0], chain[-1][1]
    if chain[0][2] == "full":
        checkpoint: tuple[int, float, str] | None = chain[0][0], chain[0][1], chain[0][3]
        chain = chain[1:]
    else:
        checkpoint = None
    deltas = tuple((v, c, doc) for v, c, _, doc in chain)
    return ThemeVersion(theme_id, version, computed_at, checkpoint, deltas)
