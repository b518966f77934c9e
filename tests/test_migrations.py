"""Schema migrations: fresh databases, upgrades from every earlier version, refusals.

The representative rows of every version are in tests/migration_seed.py, what
they must read as in tests/migration_checks.py.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

import widget_server.storage
from tests.migration_checks import CHECKS, EXPECTED_TABLES
from tests.migration_seed import NOW, SEED
from widget_server.core.errors import StorageError
from widget_server.storage import SQLiteStorage, load_migrations

MIGRATION_DIR = Path(widget_server.storage.__file__).parent / "migrations" / "sqlite"
SHIPPED = sorted(MIGRATION_DIR.glob("*.sql"))
LATEST = len(SHIPPED)


@pytest_asyncio.fixture
async def fresh(db_path: Path) -> AsyncIterator[SQLiteStorage]:
    """An opened storage on an empty file, not migrated."""
    store = SQLiteStorage(db_path)
    await store.open()
    yield store
    await store.close()


def tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        conn.close()
    return {r[0] for r in rows}


def execute(path: Path, statements: list[tuple[str, tuple[object, ...]]]) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        for sql, params in statements:
            conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


# -- the shipped files ----------------------------------------------------------------------


def test_load_migrations_numbers_them_one_to_n() -> None:
    migrations = load_migrations("sqlite")
    assert [m.version for m in migrations] == list(range(1, LATEST + 1))
    assert LATEST >= 1
    for migration, path in zip(migrations, SHIPPED, strict=True):
        assert path.name == f"{migration.version:04d}_{migration.name}.sql"
        assert migration.sql == path.read_text("utf-8")


def test_every_migration_has_representative_data() -> None:
    missing = set(range(1, LATEST + 1)) - set(SEED)
    assert not missing, f"add SEED and CHECKS entries for migration(s) {sorted(missing)}"
    assert set(SEED) == set(CHECKS)


# -- migrating ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_migrating_an_empty_database_applies_everything(
    fresh: SQLiteStorage, db_path: Path
) -> None:
    assert await fresh.schema_version() == 0
    applied = await fresh.migrate()
    assert applied == list(range(1, LATEST + 1))
    assert await fresh.schema_version() == LATEST
    assert tables(db_path) >= EXPECTED_TABLES
    assert await fresh.data_version() >= 1


@pytest.mark.asyncio
async def test_migrating_twice_applies_nothing_the_second_time(
    fresh: SQLiteStorage, db_path: Path
) -> None:
    await fresh.migrate()
    assert await fresh.migrate() == []
    assert await fresh.schema_version() == LATEST
    conn = sqlite3.connect(db_path)
    try:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations")]
    finally:
        conn.close()
    assert sorted(versions) == list(range(1, LATEST + 1))


@pytest.mark.asyncio
async def test_migrating_again_from_another_storage_applies_nothing(
    fresh: SQLiteStorage, db_path: Path
) -> None:
    await fresh.migrate()
    second = SQLiteStorage(db_path)
    await second.open()
    try:
        assert await second.migrate() == []
        assert await second.schema_version() == LATEST
    finally:
        await second.close()


@pytest.mark.parametrize("k", range(LATEST))
@pytest.mark.asyncio
async def test_upgrade_from_every_earlier_version_keeps_the_data(
    fresh: SQLiteStorage, db_path: Path, k: int
) -> None:
    assert await fresh.migrate(target=k) == list(range(1, k + 1))
    assert await fresh.schema_version() == k
    for version in range(1, k + 1):
        execute(db_path, SEED[version])

    applied = await fresh.migrate()

    assert applied == list(range(k + 1, LATEST + 1))
    assert await fresh.schema_version() == LATEST
    assert tables(db_path) >= EXPECTED_TABLES
    for version in range(1, k + 1):
        await CHECKS[version](fresh)


@pytest.mark.asyncio
async def test_representative_data_of_every_version_is_readable_at_latest(
    fresh: SQLiteStorage, db_path: Path
) -> None:
    # Guards SEED itself: if it no longer fits the schema, the upgrade tests prove little.
    await fresh.migrate()
    for version in range(1, LATEST + 1):
        execute(db_path, SEED[version])
    for version in range(1, LATEST + 1):
        await CHECKS[version](fresh)


@pytest.mark.asyncio
async def test_database_newer_than_the_server_is_refused(
    fresh: SQLiteStorage, db_path: Path
) -> None:
    await fresh.migrate()
    execute(
        db_path,
        [
            (
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (LATEST + 1, "from_the_future", NOW),
            )
        ],
    )
    with pytest.raises(StorageError, match=str(LATEST + 1)):
        await fresh.migrate()
    assert await fresh.schema_version() == LATEST + 1
