"""What really differs between SQLite and PostgreSQL, and nothing else.

The table modules write their SQL once, with ``?`` placeholders and the
syntax both databases share (``ON CONFLICT … DO UPDATE``, ``RETURNING``).
A ``Dialect`` supplies the rest: how a value is passed and read back
(times, days), the few SQL fragments that are spelled differently, the
lock that makes one process compute the ledger, the bulk upsert of the
counting flush, and which driver errors are conflicts.

Neither driver is imported here: each driver module builds its dialect with
its own exception classes, so a SQLite deployment never loads asyncpg.
"""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, Protocol

from widget_server.core.errors import ConflictError, NotFoundError, StorageError

Row = tuple[Any, ...]

# Values (rows times columns) per statement where a bulk insert passes arrays.
ARRAY_VALUES = 4_000


class Connection(Protocol):
    """One connection as the table modules use it; SQL with ``?`` placeholders."""

    async def execute(self, sql: str, *params: Any) -> int: ...  # rows affected
    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...
    async def fetch(self, sql: str, *params: Any) -> list[Row]: ...
    async def fetchrow(self, sql: str, *params: Any) -> Row | None: ...
    async def fetchval(self, sql: str, *params: Any) -> Any: ...
    def fetch_batches(self, sql: str, size: int) -> AsyncIterator[list[Row]]:
        """The rows of ``sql`` in lists of at most ``size`` (inside a transaction)."""
        ...


def iso_now() -> str:
    """Now, to the second, as the models carry times."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def to_moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def unix_time(iso: str) -> float:
    """The models' ISO text of a time as Unix time (UTC when it names no zone); 0.0 for
    text that is no time."""
    try:
        return to_moment(iso).timestamp()
    except ValueError:
        return 0.0


@functools.lru_cache(maxsize=512)
def numbered(sql: str) -> str:
    """``?`` placeholders as PostgreSQL's ``$1, $2 …`` (our SQL has no ``?`` in literals)."""
    counter = iter(range(1, sql.count("?") + 1))
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


class Dialect:
    """The SQLite side; ``PostgresDialect`` overrides what PostgreSQL does differently."""

    name = "sqlite"
    timestamp_type = "TEXT"  # of schema_migrations.applied_at
    concat_domains = "group_concat(domain, ' ')"
    # Appended to a SELECT that must keep other writers off a row until commit; SQLite
    # has one writer at a time anyway.
    for_update = ""
    # A statement taking a transaction-scoped lock named by its one parameter, true when
    # taken; None where the dialect claims work with a lease row instead.
    try_xact_lock: str | None = None
    # Appended to the subquery that picks mails to claim: rows another worker is
    # claiming are passed over rather than waited for (SQLite: one writer anyway).
    skip_locked = ""
    # Appended to a text column an ORDER BY must compare code point by code point, as
    # Python's ``str`` does (SQLite's own comparison already does: bytes of UTF-8).
    bytewise = ""
    # Whether the text of the one parameter occurs in ``{}`` (a column), case and all.
    contains = "instr({}, ?) > 0"

    def __init__(
        self,
        conflicts: tuple[type[BaseException], ...],
        failures: tuple[type[BaseException], ...],
        unmatchable: tuple[type[BaseException], ...] = (),
    ) -> None:
        self.conflicts = conflicts  # integrity violations
        self.failures = failures  # every other error of the driver
        # A text parameter the database cannot hold: PostgreSQL's text has no NUL
        # character.  No stored text holds one, so a lookup by it finds nothing, as on
        # SQLite (a slug with %00 in a URL or a request body: not a database outage).
        self.unmatchable = unmatchable

    # -- values in and out ------------------------------------------------------------------

    def time(self, iso: str) -> Any:
        """A time parameter from the models' ISO text."""
        return iso

    def iso(self, value: Any) -> str:
        """A stored time as the models' ISO text."""
        return str(value)

    def unix(self, value: Any) -> float:
        """A stored time as Unix time: ``unix_time(self.iso(value))``."""
        return unix_time(str(value))

    def day(self, value: date) -> Any:
        return value.isoformat()

    def from_day(self, value: Any) -> date:
        return date.fromisoformat(value)

    # -- the counting flush -----------------------------------------------------------------

    # True where a bulk insert passes one array per column instead of one row at a time.
    bulk_arrays = False
    # True where a large read comes back cheaper as one array per column (``array_agg``)
    # than as a row object per row: asyncpg decodes on the event loop, and a read of
    # 200,000 rows made 400,000 objects there, enough to set off the cyclic collector's
    # full passes (SQLite's driver makes its rows in its own thread).
    array_reads = False
    # True where transactions write at once and lock rows as they touch them (SQLite has
    # one writer at a time).
    concurrent_writers = False

    def rows_source(self, columns: Sequence[tuple[str, str]]) -> str:
        """What an ``INSERT INTO t (columns)`` takes its rows from."""
        return "VALUES (" + ", ".join("?" for _ in columns) + ")"

    async def insert_rows(
        self,
        conn: Connection,
        table: str,
        columns: Sequence[tuple[str, str]],
        rows: Sequence[Sequence[Any]],
        suffix: str = "",
    ) -> None:
        """Insert ``rows`` into ``table`` in one go; ``columns`` are (name, PostgreSQL type).

        SQLite runs one prepared statement per row (in-process, that is as fast as
        it gets); PostgreSQL one statement over arrays per ``ARRAY_VALUES`` values, a
        round trip each.
        """
        names = ", ".join(name for name, _ in columns)
        sql = f"INSERT INTO {table} ({names}) {self.rows_source(columns)}{suffix}"
        if self.bulk_arrays:
            # asyncpg encodes the arrays on the event loop, with checks per element
            # (0.5-1 µs a value here): a statement of 5,000 members' rows (75,000
            # values) held the loop 35-66 ms, one of ARRAY_VALUES values a few ms.
            step = max(1, ARRAY_VALUES // max(1, len(columns)))
            for start in range(0, len(rows), step):
                piece = rows[start : start + step]
                await conn.execute(sql, *[list(column) for column in zip(*piece, strict=True)])
        else:
            await conn.executemany(sql, rows)

    # -- errors -----------------------------------------------------------------------------

    @contextmanager
    def translated(self) -> Iterator[None]:
        """Driver errors become ours: integrity violations conflicts, the rest storage errors."""
        try:
            yield
        except self.conflicts as exc:
            raise ConflictError(str(exc)) from exc
        except self.unmatchable as exc:
            raise NotFoundError("nothing stored holds a NUL character") from exc
        except self.failures as exc:
            raise StorageError(str(exc) or type(exc).__name__) from exc


class PostgresDialect(Dialect):
    name = "postgres"
    timestamp_type = "TIMESTAMPTZ"
    concat_domains = "string_agg(domain, ' ')"
    bulk_arrays = True
    array_reads = True
    concurrent_writers = True
    # Holds off writers of the row, not readers or foreign-key checks.
    for_update = " FOR NO KEY UPDATE"
    skip_locked = " FOR UPDATE SKIP LOCKED"
    bytewise = ' COLLATE "C"'
    contains = "strpos({}, ?) > 0"
    # Keyed by the schema too, so networks in other schemas don't wait for each other.
    try_xact_lock = (
        "SELECT pg_try_advisory_xact_lock(hashtext(? || COALESCE(current_schema(), '')))"
    )

    def time(self, iso: str) -> Any:
        return to_moment(iso)

    def iso(self, value: Any) -> str:
        moment: datetime = value
        return moment.astimezone(UTC).isoformat()

    def unix(self, value: Any) -> float:
        moment: datetime = value  # timestamptz: aware, the same instant as its ISO text
        return moment.timestamp()

    def day(self, value: date) -> Any:
        return value

    def from_day(self, value: Any) -> date:
        day: date = value
        return day

    def rows_source(self, columns: Sequence[tuple[str, str]]) -> str:
        arrays = ", ".join(f"?::{kind}[]" for _, kind in columns)
        return f"SELECT * FROM unnest({arrays})"
