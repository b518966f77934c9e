"""SQLite storage on aiosqlite: the embedded default.

WAL mode; one writer connection behind an ``asyncio.Lock`` (SQLite allows one
writer at a time anyway, and queueing in-process is cheaper than
``SQLITE_BUSY`` retries), and a small pool of reader connections that read
concurrently with the writer.  The SQL itself lives in the table modules.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import aiosqlite

from widget_server.core.errors import StorageError
from widget_server.storage.access import Access
from widget_server.storage.accounts import Accounts
from widget_server.storage.audit import Audit
from widget_server.storage.coordinators import Coordinators
from widget_server.storage.counts import Counts
from widget_server.storage.dialect import Connection, Dialect, Row
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

READERS = 2
BUSY_TIMEOUT_MS = 5_000
EXPORT_BATCH = 1_000  # rows per batch when a whole table is read (migrate-db)

DIALECT = Dialect(conflicts=(sqlite3.IntegrityError,), failures=(sqlite3.Error,))


class SQLiteConnection:
    """An aiosqlite connection as the table modules use it."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.raw = conn

    async def execute(self, sql: str, *params: Any) -> int:
        async with self.raw.execute(sql, params) as cur:
            return cur.rowcount

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self.raw.executemany(sql, rows)

    async def fetch(self, sql: str, *params: Any) -> list[Row]:
        async with self.raw.execute(sql, params) as cur:
            return cast(list[Row], await cur.fetchall())

    async def fetchrow(self, sql: str, *params: Any) -> Row | None:
        # Every row is fetched, so a RETURNING statement runs to its end.
        rows = await self.fetch(sql, *params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, *params: Any) -> Any:
        row = await self.fetchrow(sql, *params)
        return row[0] if row else None

    async def fetch_batches(self, sql: str, size: int) -> AsyncIterator[list[Row]]:
        async with self.raw.execute(sql) as cur:
            while batch := await cur.fetchmany(size):
                yield cast(list[Row], batch)


class SQLiteStorage(
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
    """``Storage`` on one SQLite file."""

    dialect = "sqlite"
    _dialect = DIALECT

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._writer: aiosqlite.Connection | None = None
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers: list[aiosqlite.Connection] = []
        self._write_lock = asyncio.Lock()

    # -- lifecycle --------------------------------------------------------------------------

    async def _connect(self) -> aiosqlite.Connection:
        try:
            conn = await aiosqlite.connect(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open SQLite database {self.path}: {exc}") from exc
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA foreign_keys = ON")
        return conn

    async def open(self) -> None:
        if self._writer is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._connect()
        await self._writer.execute("PRAGMA journal_mode = WAL")
        await self._writer.execute("PRAGMA synchronous = NORMAL")
        for _ in range(READERS):
            reader = await self._connect()
            await reader.execute("PRAGMA query_only = ON")
            self._all_readers.append(reader)
            self._readers.put_nowait(reader)

    async def close(self) -> None:
        """Close every connection, also when cancelled on the way: a cancellation (Ctrl-C
        in a command, a shutdown's deadline) lands at the first await, and each
        connection left open keeps its aiosqlite thread, which is no daemon, and the
        process alive at exit."""
        connections = [*self._all_readers, *([self._writer] if self._writer else [])]
        self._all_readers, self._writer = [], None
        self._readers = asyncio.Queue()
        cancelled: asyncio.CancelledError | None = None
        for conn in connections:
            try:
                await conn.close()
            except asyncio.CancelledError as exc:  # the rest are closed all the same
                cancelled = exc
        if cancelled is not None:
            raise cancelled

    # -- connections ------------------------------------------------------------------------

    def _need_writer(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise StorageError("storage is not open")
        return self._writer

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[SQLiteConnection]:
        if not self._all_readers:
            raise StorageError("storage is not open")
        conn = await self._readers.get()
        try:
            with self._dialect.translated():
                yield SQLiteConnection(conn)
        finally:
            self._readers.put_nowait(conn)

    @asynccontextmanager
    async def _snapshot(self) -> AsyncIterator[Connection]:
        async with self._reading() as conn:
            try:
                await conn.execute("BEGIN")
                yield conn
            finally:
                # Nothing was written: ending the transaction is all (see _transaction).
                await conn.raw.rollback()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Connection]:
        writer = self._need_writer()
        async with self._write_lock:
            try:
                with self._dialect.translated():
                    await writer.execute("BEGIN IMMEDIATE")
                    yield SQLiteConnection(writer)
                    await writer.execute("COMMIT")
            except BaseException:
                # On any failure, cancellation included.  aiosqlite runs statements in
                # its own thread, in order: a cancelled BEGIN may still open the
                # transaction after we stopped waiting for it.  rollback() is queued
                # behind it and does nothing when no transaction is open, so the
                # writer is clean for the next write either way.
                await writer.rollback()
                raise

    # -- schema (the loop is in meta.py) ----------------------------------------------------

    @asynccontextmanager
    async def _migrating(self) -> AsyncIterator[Connection]:
        writer = self._need_writer()
        async with self._write_lock:
            with self._dialect.translated():
                yield SQLiteConnection(writer)

    async def _schema_version(self, conn: Connection) -> int:
        if not await conn.fetch(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ):
            return 0
        return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))

    async def _apply(self, conn: Connection, migration: Migration, record: str) -> None:
        writer = self._need_writer()
        try:
            await writer.executescript(f"BEGIN IMMEDIATE;\n{migration.sql}\n;{record};\nCOMMIT;")
        except BaseException:
            await writer.rollback()
            raise

    # -- whole tables (migrate-db) ----------------------------------------------------------

    async def table_names(self) -> list[str]:
        rows = await self._fetch(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
            " AND name != 'schema_migrations' ORDER BY name"
        )
        return [r[0] for r in rows]

    async def table_columns(self, table: str) -> list[str]:
        rows = await self._fetch(
            "SELECT name FROM pragma_table_info(?) ORDER BY cid", identifier(table)
        )
        return [r[0] for r in rows]

    async def export_rows(
        self, table: str, columns: Sequence[str]
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        names = ", ".join(identifier(c) for c in columns)
        sql = f"SELECT {names} FROM {identifier(table)}"
        async with self._reading() as conn, conn.raw.execute(sql) as cur:
            while batch := await cur.fetchmany(EXPORT_BATCH):
                yield [tuple(r) for r in batch]

    async def import_rows(self, tables: Sequence[tuple[str, Sequence[str], TableRows]]) -> None:
        async with self._write(bump=False) as conn:
            await conn.execute("DELETE FROM meta")
            for table, columns, batches in tables:
                names = ", ".join(identifier(c) for c in columns)
                marks = ", ".join("?" for _ in columns)
                sql = f"INSERT INTO {identifier(table)} ({names}) VALUES ({marks})"
                async for batch in batches:
                    await conn.executemany(sql, batch)
