"""PostgreSQL's migrations: numbered like SQLite's, applied once, upgrades keep the data.

The representative rows and their checks are SQLite's (tests/migration_seed.py,
tests/migration_checks.py), written here with PostgreSQL's parameters, so both
dialects pass the same data.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from tests import postgres
from tests.migration_checks import CHECKS, EXPECTED_TABLES
from tests.migration_seed import SEED
from widget_server.core.errors import StorageError
from widget_server.storage import load_migrations
from widget_server.storage.postgres import PostgresStorage

LATEST = len(load_migrations("postgres"))

needs_postgres = pytest.mark.skipif(postgres.server_url() is None, reason=postgres.HINT)


def test_postgres_migrations_are_numbered_and_named_like_sqlites() -> None:
    sqlite = [(m.version, m.name) for m in load_migrations("sqlite")]
    assert [(m.version, m.name) for m in load_migrations("postgres")] == sqlite


@pytest_asyncio.fixture
async def url() -> AsyncIterator[str]:
    server = postgres.server_url()
    assert server is not None
    async with postgres.fresh_schema(server) as schema_url:
        yield schema_url


@pytest_asyncio.fixture
async def fresh(url: str) -> AsyncIterator[PostgresStorage]:
    """An opened storage on an empty schema, not migrated."""
    store = PostgresStorage(url)
    await store.open()
    yield store
    await store.close()


def _value(value: object) -> object:
    """SQLite's text times and days as PostgreSQL's parameters want them."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:]+\+00:00", value):
        return datetime.fromisoformat(value)
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        return date.fromisoformat(value)
    return value


def _numbered(sql: str) -> str:
    """``?`` placeholders as ``$1``, ``$2`` ..."""
    counter = itertools.count(1)
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


async def execute(url: str, statements: list[tuple[str, tuple[object, ...]]]) -> None:
    conn = await asyncpg.connect(url)
    try:
        for sql, params in statements:
            await conn.execute(_numbered(sql), *map(_value, params))
    finally:
        await conn.close()


async def tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    finally:
        await conn.close()
    return {r[0] for r in rows}


@needs_postgres
@pytest.mark.asyncio
async def test_migrating_an_empty_schema_applies_everything(
    fresh: PostgresStorage, url: str
) -> None:
    assert await fresh.schema_version() == 0
    assert await fresh.migrate() == list(range(1, LATEST + 1))
    assert await fresh.schema_version() == LATEST
    assert await tables(url) >= EXPECTED_TABLES
    assert await fresh.data_version() >= 1
    assert await fresh.migrate() == []


@needs_postgres
@pytest.mark.asyncio
async def test_processes_starting_at_once_migrate_once(url: str) -> None:
    stores = [PostgresStorage(url) for _ in range(4)]
    for store in stores:
        await store.open()
    try:
        applied = await asyncio.gather(*(s.migrate() for s in stores))
        assert sorted(applied) == [[], [], [], list(range(1, LATEST + 1))]
        assert {await s.schema_version() for s in stores} == {LATEST}
    finally:
        for store in stores:
            await store.close()


@needs_postgres
@pytest.mark.parametrize("k", range(LATEST))
@pytest.mark.asyncio
async def test_upgrade_from_every_earlier_version_keeps_the_data(
    fresh: PostgresStorage, url: str, k: int
) -> None:
    assert await fresh.migrate(target=k) == list(range(1, k + 1))
    assert await fresh.schema_version() == k
    for version in range(1, k + 1):
        await execute(url, SEED[version])

    assert await fresh.migrate() == list(range(k + 1, LATEST + 1))

    assert await fresh.schema_version() == LATEST
    assert await tables(url) >= EXPECTED_TABLES
    for version in range(1, k + 1):
        await CHECKS[version](fresh)  # type: ignore[arg-type]


@needs_postgres
@pytest.mark.asyncio
async def test_representative_data_of_every_version_is_readable_at_latest(
    fresh: PostgresStorage, url: str
) -> None:
    await fresh.migrate()
    for version in range(1, LATEST + 1):
        await execute(url, SEED[version])
    for version in range(1, LATEST + 1):
        await CHECKS[version](fresh)  # type: ignore[arg-type]


@needs_postgres
@pytest.mark.asyncio
async def test_schema_newer_than_the_server_is_refused(fresh: PostgresStorage, url: str) -> None:
    await fresh.migrate()
    await execute(
        url,
        [
            (
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, now())",
                (LATEST + 1, "from_the_future"),
            )
        ],
    )
    with pytest.raises(StorageError, match=str(LATEST + 1)):
        await fresh.migrate()


@needs_postgres
@pytest.mark.asyncio
async def test_a_failing_migration_is_rolled_back_and_named(
    fresh: PostgresStorage, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import widget_server.storage.meta as module  # where migrate() looks the files up

    real = load_migrations("postgres")
    broken = real[-1].__class__(real[-1].version, real[-1].name, "CREATE TABLE oops (x INT); x")

    def patched(dialect: str) -> Any:
        return (*real[:-1], broken)

    monkeypatch.setattr(module, "load_migrations", patched)
    with pytest.raises(StorageError, match=f"migration {LATEST} "):
        await fresh.migrate()
    assert await fresh.schema_version() == LATEST - 1
    assert "oops" not in await tables(url)
