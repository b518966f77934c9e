"""The base of the table modules: transactions and reads, as a driver provides them.

Each table group (``members``, ``rules``, ``counts`` …) is a mixin on
``Queries`` and writes its SQL once; ``SQLiteStorage`` and ``PostgresStorage``
combine the mixins and supply the three connection context managers below.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from widget_server.storage.dialect import Connection, Dialect, Row

# A network change: every process reloads its snapshot when this number moves.
BUMP = "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE key = 'data_version'"


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
        """One write transaction; ``bump`` marks the network data as changed."""
        async with self._transaction() as conn:
            yield conn
            if bump:
                await conn.execute(BUMP)

    async def _fetch(self, sql: str, *params: Any) -> list[Row]:
        async with self._reading() as conn:
            return await conn.fetch(sql, *params)

    async def _fetchrow(self, sql: str, *params: Any) -> Row | None:
        async with self._reading() as conn:
            return await conn.fetchrow(sql, *params)
