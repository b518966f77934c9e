"""Large reads a chunk at a time: the ledger job's reads (a row per membership) and the
admin's member index.  On PostgreSQL each chunk comes as one row of arrays, decoded
into a few lists of plain values, not a row object per row; what was read is freed
a slice at a time in a worker thread (``let_go``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from widget_server.core.freeing import release
from widget_server.storage.dialect import Connection, Dialect

# Rows per query of the job's large reads and writes (a row per membership): asyncpg
# decodes and encodes each chunk on the event loop, so no single one holds it for long
# (5,000 rows were 35-63 ms on a slow machine at 100,000 members).
CHUNK = 2_000


class Columns(list[list[Any]]):
    """A large read as one list per column (``Dialect.array_reads``): each chunk comes as
    one row of arrays, decoded into a few lists of plain values, not a row object per
    row; ``rows_of`` gives its rows."""


async def fetch_in_chunks(
    conn: Connection,
    dialect: Dialect,
    select: str,
    where: str,
    params: Sequence[Any],
    keys: int = 2,
) -> list[Any]:
    """Every row of ``select ... WHERE where``, read ``CHUNK`` rows at a time in the order
    of its first ``keys`` columns (the table's primary key), each chunk after the last:
    a list of rows, or ``Columns`` where the dialect reads arrays.  Iterate it with
    ``rows_of``, let go of it with ``let_go`` (in a worker thread)."""
    names = select.removeprefix("SELECT ").split(" FROM ")[0].split(", ")
    order = ", ".join(names[:keys])
    rows: list[Any] = Columns([] for _ in names) if dialect.array_reads else []
    after: tuple[Any, ...] = ()
    while True:
        clause = f" AND ({order}) > ({', '.join('?' * keys)})" if after else ""
        query = f"{select} WHERE {where}{clause} ORDER BY {order} LIMIT {CHUNK}"
        if isinstance(rows, Columns):
            # Each aggregate orders its own input: the columns line up row by row.
            arrays = ", ".join(f"array_agg({name} ORDER BY {order})" for name in names)
            found = await conn.fetchrow(f"SELECT {arrays} FROM ({query}) AS chunk", *params, *after)
            columns = [column or [] for column in found or ()]  # no rows: NULL arrays
            for into, column in zip(rows, columns, strict=True):
                into.extend(column)
            count = len(columns[0])
            if count < CHUNK:
                return rows
            after = tuple(column[-1] for column in columns[:keys])
        else:
            chunk = await conn.fetch(query, *params, *after)
            rows.extend(chunk)
            if len(chunk) < CHUNK:
                return rows
            after = tuple(chunk[-1][i] for i in range(keys))


def rows_of(rows: list[Any]) -> Iterable[Sequence[Any]]:
    """The rows of what ``fetch_in_chunks`` read, as tuples."""
    return zip(*rows, strict=True) if isinstance(rows, Columns) else rows


def let_go(rows: list[Any]) -> None:
    """``release`` what ``fetch_in_chunks`` read, each column a slice at a time."""
    if isinstance(rows, Columns):
        for column in rows:
            release(column)
    release(rows)
