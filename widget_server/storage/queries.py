"""The base of the table modules: transactions and reads, as a driver provides them.

Each table group (``members``, ``rules``, ``counts`` …) is a mixin on
``Queries`` and writes its SQL once; ``SQLiteStorage`` and ``PostgresStorage``
combine the mixins and supply the three connection context managers below.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Literal

from widget_server.storage.dialect import Connection, Dialect, Row

# A network change: every process updates its snapshot when this number moves.
BUMP = "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE key = 'data_version'"
# Change log rows kept: a process more versions behind than this reloads everything.
CHANGES_KEPT = 5_000
ChangeKind = Literal["member", "theme", "placement", "all"]


class Changes:
    """What one network write changes, as the change log records it (``_change``)."""

    def __init__(self) -> None:
        self.items: dict[tuple[ChangeKind, int], None] = {}

    def add(self, kind: ChangeKind, *ids: int) -> None:
        for ref in ids:
            self.items[(kind, int(ref))] = None


async def record_changes(conn: Connection, items: Iterable[tuple[str, int]]) -> int:
    """Bump the data version and log ``items`` under it, in the write's transaction.

    The bump takes the ``meta`` row's write lock until the commit, so versions
    are given out in commit order, without gaps: a reader that has every
    version up to N in its snapshot misses none.
    """
    await conn.execute(BUMP)
    version = int(await conn.fetchval("SELECT value FROM meta WHERE key = 'data_version'"))
    rows = [(version, kind, ref) for kind, ref in items] or [(version, "all", 0)]
    await conn.executemany("INSERT INTO changes (version, kind, ref) VALUES (?, ?, ?)", rows)
    if version % 100 == 0:
        await conn.execute("DELETE FROM changes WHERE version <= ?", version - CHANGES_KEPT)
    return version


def page(limit: int | None) -> str:
    """`` LIMIT n`` for keyset pagination (the value is an int, checked here)."""
    return f" LIMIT {int(limit)}" if limit is not None else ""


def where(*conditions: tuple[str, object]) -> tuple[str, list[object]]:
    """`` WHERE a = ? AND b = ?`` from the conditions whose value is not None."""
    used = [(sql, value) for sql, value in conditions if value is not None]
    clause = " WHERE " + " AND ".join(sql for sql, _ in used) if used else ""
    return clause, [value for _, value in used]


class Queries:
    """What every table module may use; the driver classes implement the abstract parts."""

    _dialect: Dialect
    # When status changes and rule versions happen (unix seconds): the server sets its
    # own clock here, so the replay compares them with the moments it served at.
    clock: Callable[[], float] = time.time

    def _moment_iso(self) -> str:
        """The storage clock's now, to the second, as the models carry times."""
        return datetime.fromtimestamp(int(self.clock()), UTC).isoformat(timespec="seconds")

    def _reading(self) -> AbstractAsyncContextManager[Connection]:
        """A connection for reads outside a transaction."""
        raise NotImplementedError

    def _snapshot(self) -> AbstractAsyncContextManager[Connection]:
        """A connection in a read-only transaction that sees one consistent state."""
        raise NotImplementedError

    def _transaction(self) -> AbstractAsyncContextManager[Connection]:
        """One write transaction: committed at the end, rolled back on any failure
        (cancellation included), driver errors translated."""
        raise NotImplementedError

    @asynccontextmanager
    async def _write(self, *, bump: bool = True) -> AsyncIterator[Connection]:
        """One write transaction; ``bump`` marks the network data as changed (all of it:
        every process reloads the whole network; ``_change`` says what changed)."""
        async with self._transaction() as conn:
            yield conn
            if bump:
                await record_changes(conn, [("all", 0)])

    @asynccontextmanager
    async def _change(self) -> AsyncIterator[tuple[Connection, Changes]]:
        """One network write transaction that says what it changed (``Changes.add``);
        nothing said is a change of everything."""
        changes = Changes()
        async with self._transaction() as conn:
            yield conn, changes
            await record_changes(conn, changes.items)

    async def _fetch(self, sql: str, *params: Any) -> list[Row]:
        async with self._reading() as conn:
            return await conn.fetch(sql, *params)

    async def _fetchrow(self, sql: str, *params: Any) -> Row | None:
        async with self._reading() as conn:
            return await conn.fetchrow(sql, *params)
