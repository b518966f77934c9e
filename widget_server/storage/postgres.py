"""PostgreSQL storage on asyncpg: several server processes on one database.

A connection pool per process; every write is one transaction, and network
writes bump ``data_version`` in that same transaction, so other processes see
the change at their next poll.  Migrations and the shared fairness ledger are
guarded by advisory locks keyed by the schema, so several processes starting
or polling at once migrate once and compute once.  The SQL itself lives in
the table modules; ``dialect.PostgresDialect`` says what differs from SQLite.

The schema mirrors SQLite's (``migrations/postgres`` numbered like
``migrations/sqlite``) with PostgreSQL's types: identities, ``timestamptz``,
``date``, ``bytea``, ``jsonb``.  Models carry times as ISO text, as SQLite
stores them; the dialect converts.  Slugs and other keys sort bytewise
(``COLLATE "C"``), as in SQLite, so keyset pages come out the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import urlsplit

import asyncpg

from widget_server.core.errors import StorageError
from widget_server.storage.access import Access
from widget_server.storage.accounts import Accounts
from widget_server.storage.audit import Audit
from widget_server.storage.coordinators import Coordinators
from widget_server.storage.counts import Counts
from widget_server.storage.dialect import Connection, PostgresDialect, Row, numbered, to_moment
from widget_server.storage.directory import Directory
from widget_server.storage.events import Events
from widget_server.storage.history import History
from widget_server.storage.invitations import Invitations
from widget_server.storage.ledger import Ledger
from widget_server.storage.mail import Mail
from widget_server.storage.member_import import MemberImport
from widget_server.storage.members import Members
from widget_server.storage.meta import Meta
from widget_server.storage.offers import Offers
from widget_server.storage.records import Migration, TableRows, identifier
from widget_server.storage.rules import Rules
from widget_server.storage.snapshot import Snapshot
from widget_server.storage.visitors import Visitors

if TYPE_CHECKING:  # generic only in the type stubs
    RawConnection: TypeAlias = asyncpg.pool.PoolConnectionProxy[asyncpg.Record]
    Pool: TypeAlias = asyncpg.Pool[asyncpg.Record]

POOL_MIN = 1
POOL_MAX = 10  # connections per process
# Advisory lock key: hashed with the schema, so networks in other schemas don't wait.
MIGRATE_LOCK = "partnerkreis.migrate:"
_LOCK_KEY = "hashtext($1 || COALESCE(current_schema(), ''))"
EXPORT_BATCH = 1_000

FAILURES = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)
DIALECT = PostgresDialect(
    conflicts=(asyncpg.IntegrityConstraintViolationError,),
    failures=FAILURES,
    unmatchable=(asyncpg.CharacterNotInRepertoireError,),
)


def _affected(status: str) -> int:
    """Rows touched, from a command status such as ``UPDATE 1`` (0 for ``CREATE TABLE``)."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


# Rows of one answer made into tuples on the event loop; more in a worker thread (a
# theme's day of counts at 10,000 members, 50,000 rows: some 15 ms of the loop).
TUPLES_ON_LOOP = 5_000


def _tuples(records: Sequence[Any]) -> list[Row]:
    return [tuple(r) for r in records]


class PostgresConnection:
    """An asyncpg connection as the table modules use it (``?`` becomes ``$n``)."""

    def __init__(self, conn: RawConnection) -> None:
        self.raw = conn

    async def execute(self, sql: str, *params: Any) -> int:
        return _affected(await self.raw.execute(numbered(sql), *params))

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self.raw.executemany(numbered(sql), rows)

    async def fetch(self, sql: str, *params: Any) -> list[Row]:
        records = await self.raw.fetch(numbered(sql), *params)
        if len(records) > TUPLES_ON_LOOP:  # a theme's day of counts at 10,000 members
            return await asyncio.to_thread(_tuples, records)
        return [tuple(r) for r in records]

    async def fetchrow(self, sql: str, *params: Any) -> Row | None:
        row = await self.raw.fetchrow(numbered(sql), *params)
        return None if row is None else tuple(row)

    async def fetch_batches(self, sql: str, size: int) -> AsyncIterator[list[Row]]:
        cursor = await self.raw.cursor(numbered(sql))
        while batch := await cursor.fetch(size):
            yield [tuple(r) for r in batch]

    async def fetchval(self, sql: str, *params: Any) -> Any:
        return await self.raw.fetchval(numbered(sql), *params)


# Conversions of rows as SQLite stores them (migrate-db's interchange) into column types.
def _to_column(kind: str) -> Callable[[Any], Any]:
    if kind == "timestamp with time zone":
        return lambda v: v if v is None or isinstance(v, datetime) else to_moment(str(v))
    if kind == "date":
        return lambda v: v if v is None or isinstance(v, date) else date.fromisoformat(str(v))
    if kind == "double precision":
        return lambda v: v if v is None else float(v)
    if kind in ("bigint", "integer"):
        return lambda v: v if v is None else int(v)
    if kind == "bytea":
        return lambda v: v if v is None else bytes(v)
    return lambda v: v if v is None or isinstance(v, str) else str(v)


def _from_column(value: Any) -> Any:
    if isinstance(value, datetime):
        return DIALECT.iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


class PostgresStorage(
    Meta,
    Ledger,
    History,
    Members,
    Directory,
    MemberImport,
    Rules,
    Snapshot,
    Counts,
    Accounts,
    Audit,
    Visitors,
    Access,
    Mail,
    Coordinators,
    Invitations,
    Events,
    Offers,
):
    """``Storage`` on a PostgreSQL database (``postgresql://`` URL, asyncpg's syntax).

    Query parameters that are not connection options become session settings,
    so ``?search_path=partnerkreis`` keeps a network in a schema of its own.
    """

    dialect = "postgres"
    _dialect = DIALECT

    def __init__(self, url: str, *, pool_max: int = POOL_MAX) -> None:
        self.url = url
        self._pool_max = pool_max
        self._pool: Pool | None = None

    @property
    def name(self) -> str:
        """Database, host and port for messages (never the password)."""
        parts = urlsplit(self.url)
        where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
        return f"{parts.path.lstrip('/') or '(default)'} on {where}"

    # -- lifecycle --------------------------------------------------------------------------

    async def open(self) -> None:
        if self._pool is not None:
            return
        try:
            self._pool = await asyncpg.create_pool(
                self.url, min_size=POOL_MIN, max_size=self._pool_max
            )
        except FAILURES as exc:
            raise StorageError(f"cannot open PostgreSQL database {self.name}: {exc}") from exc

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            with self._dialect.translated():
                try:
                    await pool.close()
                except asyncio.CancelledError:  # cancelled on the way: closed at once
                    pool.terminate()
                    raise

    # -- connections ------------------------------------------------------------------------

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[PostgresConnection]:
        if self._pool is None:
            raise StorageError("storage is not open")
        with self._dialect.translated():
            async with self._pool.acquire() as conn:
                yield PostgresConnection(conn)

    @asynccontextmanager
    async def _snapshot(self) -> AsyncIterator[Connection]:
        async with (
            self._reading() as conn,
            conn.raw.transaction(isolation="repeatable_read", readonly=True),
        ):
            yield conn

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Connection]:
        # asyncpg rolls back on any exception, cancellation included; a connection left
        # mid-query is reset or closed by the pool when it is released.
        async with self._reading() as conn, conn.raw.transaction():
            yield conn

    # -- schema (the loop is in meta.py) ----------------------------------------------------

    @asynccontextmanager
    async def _migrating(self) -> AsyncIterator[Connection]:
        # A session advisory lock: processes that start at once take turns.
        async with self._reading() as conn:
            await conn.raw.execute(f"SELECT pg_advisory_lock({_LOCK_KEY})", MIGRATE_LOCK)
            try:
                yield conn
            finally:
                await conn.raw.execute(f"SELECT pg_advisory_unlock({_LOCK_KEY})", MIGRATE_LOCK)

    async def _schema_version(self, conn: Connection) -> int:
        if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
            return 0
        return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))

    async def _apply(self, conn: Connection, migration: Migration, record: str) -> None:
        assert isinstance(conn, PostgresConnection)
        async with conn.raw.transaction():
            await conn.raw.execute(migration.sql)
            await conn.raw.execute(record)

    # -- whole tables (migrate-db) ----------------------------------------------------------

    async def table_names(self) -> list[str]:
        rows = await self._fetch(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            " AND table_name != 'schema_migrations' ORDER BY table_name"
        )
        return [r[0] for r in rows]

    @staticmethod
    async def _column_types(conn: Connection, table: str) -> dict[str, str]:
        rows = await conn.fetch(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            table,
        )
        return {r[0]: r[1] for r in rows}

    async def table_columns(self, table: str) -> list[str]:
        async with self._reading() as conn:
            return list(await self._column_types(conn, table))

    async def export_rows(
        self, table: str, columns: Sequence[str]
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        names = ", ".join(identifier(c) for c in columns)
        async with self._reading() as conn, conn.raw.transaction(readonly=True):
            cursor = await conn.raw.cursor(f"SELECT {names} FROM {identifier(table)}")
            while batch := await cursor.fetch(EXPORT_BATCH):
                yield [tuple(_from_column(v) for v in r) for r in batch]

    async def import_rows(self, tables: Sequence[tuple[str, Sequence[str], TableRows]]) -> None:
        async with self._write(bump=False) as conn:
            assert isinstance(conn, PostgresConnection)
            await conn.execute("DELETE FROM meta")
            for table, columns, batches in tables:
                types = await self._column_types(conn, identifier(table))
                convert = [_to_column(types.get(c, "text")) for c in columns]

                async def records(
                    batches: TableRows = batches, convert: list[Callable[[Any], Any]] = convert
                ) -> AsyncIterator[tuple[Any, ...]]:
                    async for batch in batches:
                        for row in batch:
                            yield tuple(f(v) for f, v in zip(convert, row, strict=True))

                await conn.raw.copy_records_to_table(
                    table, records=records(), columns=list(columns)
                )
            # Identities continue after the copied ids, so new rows don't collide.
            identities = await conn.fetch(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND is_identity = 'YES'"
            )
            for table, column in identities:
                await conn.execute(
                    "SELECT setval(pg_get_serial_sequence(?, ?),"
                    f" COALESCE(MAX({identifier(column)}), 0) + 1, false)"
                    f" FROM {identifier(table)}",
                    f'"{table}"',
                    column,
                )
