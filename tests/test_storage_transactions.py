"""A write that fails or is cancelled anywhere leaves its connection clean (issue 16).

Another connection holds the database's write lock (SQLite: ``BEGIN IMMEDIATE``;
PostgreSQL: an exclusive lock on ``meta``), so our write waits inside the
storage, where the graceful stop or an error reaches it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import pytest

from widget_server.core.errors import StorageError
from widget_server.core.models import CounterRow
from widget_server.storage import SQLiteStorage, Storage, sqlite_path
from widget_server.storage import sqlite as sqlite_module

pytestmark = pytest.mark.asyncio


@asynccontextmanager
async def write_lock_held(database_url: str) -> AsyncIterator[None]:
    """The database's write lock, held by another connection until the block ends."""
    path = sqlite_path(database_url)
    if path is not None:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        transaction = conn.transaction()
        await transaction.start()
        await conn.execute("LOCK TABLE meta, daily_counters IN ACCESS EXCLUSIVE MODE")
        yield
        await transaction.rollback()
    finally:
        await conn.close()


async def started(write: asyncio.Task[None]) -> None:
    """Let ``write`` reach the database and wait for the lock there."""
    await asyncio.sleep(0.3)
    assert not write.done()


async def test_a_write_cancelled_while_waiting_for_the_lock_leaves_the_writer_usable(
    storage: Storage, database_url: str
) -> None:
    async with write_lock_held(database_url):
        write = asyncio.create_task(storage.set_meta("greeting", "cancelled"))
        await started(write)
        write.cancel()
    with pytest.raises(asyncio.CancelledError):
        await write
    await storage.set_meta("greeting", "hello")
    assert await storage.get_meta("greeting") == "hello"


async def test_a_cancelled_counting_flush_stores_nothing_and_the_next_one_everything(
    storage: Storage, database_url: str
) -> None:
    row = CounterRow(date(2026, 5, 1), 1, 2, 3, "served", 4)
    async with write_lock_held(database_url):
        flush = asyncio.create_task(storage.add_counts([row]))
        await started(flush)
        flush.cancel()
    with pytest.raises(asyncio.CancelledError):
        await flush
    assert await storage.list_counts() == []
    await storage.add_counts([row])
    assert [r.count for r in await storage.list_counts()] == [4]


async def test_a_write_that_times_out_on_the_lock_is_a_storage_error_and_harmless(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_module, "BUSY_TIMEOUT_MS", 50)
    store = SQLiteStorage(db_path)
    await store.open()
    try:
        await store.migrate()
        async with write_lock_held(f"sqlite:///{db_path}"):
            with pytest.raises(StorageError, match="locked"):
                await store.set_meta("greeting", "too late")
        await store.set_meta("greeting", "hello")
        assert await store.get_meta("greeting") == "hello"
    finally:
        await store.close()
