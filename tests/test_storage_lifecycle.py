"""Each storage's life (never opened, closed, reopened) and two storages on one database,
as two server processes open it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
import pytest_asyncio

from tests.conftest import reopened
from tests.test_storage import member, theme
from widget_server.core.errors import StorageError
from widget_server.core.models import CounterRow
from widget_server.storage import SQLiteStorage, Storage, storage_from_url

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def other(storage: Storage) -> AsyncIterator[Storage]:
    """A second storage on the same database, as another server process would open it."""
    second = reopened(storage)
    await second.open()
    yield second
    await second.close()


async def test_storage_that_was_never_opened_raises_storage_error(database_url: str) -> None:
    store = storage_from_url(database_url)
    with pytest.raises(StorageError):
        await store.get_theme("hochzeit")
    with pytest.raises(StorageError):
        await store.create_theme(theme())
    with pytest.raises(StorageError):
        await store.migrate()
    with pytest.raises(StorageError):
        await store.schema_version()


async def test_closed_storage_raises_storage_error(database_url: str) -> None:
    store = storage_from_url(database_url)
    await store.open()
    await store.migrate()
    await store.create_theme(theme())
    await store.close()
    with pytest.raises(StorageError):
        await store.get_theme("hochzeit")
    with pytest.raises(StorageError):
        await store.list_members()
    with pytest.raises(StorageError):
        await store.data_version()
    with pytest.raises(StorageError):
        await store.create_theme(theme("heide"))
    with pytest.raises(StorageError):
        await store.add_counts([CounterRow(date(2027, 1, 1), 1, 2, 3, "served", 1)])
    with pytest.raises(StorageError):
        await store.load_network()


async def test_storage_can_be_reopened_after_close(database_url: str) -> None:
    store = storage_from_url(database_url)
    await store.open()
    await store.migrate()
    created = await store.create_theme(theme())
    await store.close()
    await store.open()
    try:
        assert await store.get_theme("hochzeit") == created
    finally:
        await store.close()


async def test_a_close_cancelled_on_the_way_still_closes_everything(database_url: str) -> None:
    """A cancellation (Ctrl-C in a command: asyncio.run delivers it at the task's next
    await, after synchronous work the close's first) once left the connections it had
    not reached open; on SQLite each keeps its driver thread, no daemon, and the
    process waited for them at exit, for ever."""
    store = storage_from_url(database_url)
    before = set(threading.enumerate())
    await store.open()
    await store.migrate()
    created = await store.create_theme(theme())
    drivers = set(threading.enumerate()) - before  # SQLite: a thread per connection
    closing = asyncio.ensure_future(store.close())
    await asyncio.sleep(0)  # it runs up to its first await: a connection closing
    closing.cancel()  # lands there
    with pytest.raises(asyncio.CancelledError):
        await closing
    for thread in drivers:
        thread.join(timeout=30)  # a thread left waiting would wait for ever
        assert not thread.is_alive(), thread.name
    with pytest.raises(StorageError):  # closed, not half open
        await store.get_theme("hochzeit")
    await store.open()  # and it opens again
    try:
        assert await store.get_theme("hochzeit") == created
    finally:
        await store.close()


async def test_sqlite_database_is_in_wal_mode(db_path: Path) -> None:
    store = SQLiteStorage(db_path)
    await store.open()
    await store.close()
    conn = sqlite3.connect(db_path)
    try:
        (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
    finally:
        conn.close()
    assert mode == "wal"


async def test_reader_sees_a_write_committed_by_another_storage_on_the_same_database(
    storage: SQLiteStorage, other: SQLiteStorage
) -> None:
    version = await storage.data_version()
    created = await other.create_theme(theme("hochzeit"))
    assert await storage.get_theme("hochzeit") == created
    assert await storage.data_version() > version

    m = await storage.create_member(member("blumen"), [created.id])
    assert await other.get_member("blumen") == m
    assert (await other.load_network()).version == await storage.data_version()


async def test_writes_from_two_storages_on_the_same_database_both_land(
    storage: SQLiteStorage, other: SQLiteStorage
) -> None:
    day = date(2027, 1, 1)
    for _ in range(5):
        await storage.add_counts([CounterRow(day, 1, 2, 3, "served", 1)])
        await other.add_counts([CounterRow(day, 1, 2, 3, "served", 10)])
    assert await storage.list_counts() == [CounterRow(day, 1, 2, 3, "served", 55)]
