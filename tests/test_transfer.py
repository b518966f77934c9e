"""``widget-server migrate-db``: a network moves to another database without loss."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

import widget_server.cli.server
from tests.migration_checks import CHECKS
from tests.migration_seed import SEED
from widget_server.cli import main
from widget_server.core.models import CounterRow, Theme
from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.network.transfer import TABLES, TableCount
from widget_server.storage import SQLiteStorage, Storage, load_migrations, storage_from_url
from widget_server.web.app import create_app

pytestmark = pytest.mark.asyncio

KEY = "the-network-s-own-secret-key-0123456789"
LATEST = len(load_migrations("sqlite"))
SEEDED = sorted(v for v in SEED if v <= LATEST)


@pytest_asyncio.fixture
async def source(tmp_path: Path) -> AsyncIterator[str]:
    """A SQLite network with rows in every table, as a server of today has written them."""
    path = tmp_path / "source.db"
    store = SQLiteStorage(path)
    await store.open()
    await store.migrate()
    with sqlite3.connect(path) as conn:
        for version in SEEDED:
            for sql, params in SEED[version]:
                conn.execute(sql, params)
    await store.set_meta("secret_keys", KEY)
    await store.add_counts([CounterRow(date(2027, 1, 16), 1, 1, 0, "served", 40)])
    await store.add_rule_set(1, {"max_per_category": 1}, "koordination")  # version 2
    await store.close()
    yield f"sqlite:///{path}"


async def migrate_db(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()

    def run() -> int:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            return main(["migrate-db", *argv])

    code = await asyncio.to_thread(run)
    return code, out.getvalue(), err.getvalue()


async def test_every_table_is_copied_with_its_ids_and_counted_on_both_sides(
    source: str, database_url: str
) -> None:
    code, out, err = await migrate_db("--from", source, "--to", database_url, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["ok"]
    counts = {row["table"]: (row["source"], row["target"]) for row in report["tables"]}
    assert set(counts) == set(TABLES)
    assert all(s == t for s, t in counts.values())
    assert counts["daily_counters"] == (3, 3)
    assert counts["rule_sets"] == (2, 2)

    target = storage_from_url(database_url)
    await target.open()
    try:
        for version in SEEDED:
            await CHECKS[version](target)  # type: ignore[arg-type]
        assert await target.get_meta("secret_keys") == KEY
        assert [r.version for r in await target.list_rule_sets(1)] == [1, 2]
        # New rows get ids after the copied ones.
        assert (await target.create_theme(Theme(0, "heide", "Heide", ""))).id == 2
    finally:
        await target.close()


async def test_embed_codes_signed_before_the_move_still_serve_blocks(
    source: str, database_url: str
) -> None:
    assert (await migrate_db("--from", source, "--to", database_url))[0] == 0
    token = Signer([KEY]).embed_token(1)  # placement 1, as members pasted it
    app = create_app(Settings(database_url=database_url, allowed_hosts=("test",)))  # moved keys
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get(f"/w/{token}")
    assert response.status_code == 200
    assert response.json()["partners"] == []  # the one member is the host itself


async def test_the_table_is_printed_for_people(source: str, database_url: str) -> None:
    code, out, _ = await migrate_db("--from", source, "--to", database_url)
    assert code == 0
    assert out.splitlines()[0].split() == ["table", "source", "target"]
    assert "daily_counters" in out
    assert out.rstrip().endswith("All rows copied.")


async def test_a_target_that_holds_a_network_is_refused(source: str, database_url: str) -> None:
    assert (await migrate_db("--from", source, "--to", database_url))[0] == 0
    code, out, err = await migrate_db("--from", source, "--to", database_url)
    assert code == 1
    assert "already holds a network" in err
    assert out == ""


async def test_a_target_with_only_an_account_is_refused(source: str, database_url: str) -> None:
    target = storage_from_url(database_url)
    await target.open()
    try:
        await target.migrate()
        await target.set_meta("secret_keys", "another-network")
    finally:
        await target.close()
    code, _, err = await migrate_db("--from", source, "--to", database_url)
    assert code == 1
    assert "already holds a network (2 rows in meta)" in err


async def test_a_source_behind_the_server_is_refused(tmp_path: Path, database_url: str) -> None:
    old = SQLiteStorage(tmp_path / "old.db")
    await old.open()
    await old.migrate(target=LATEST - 1)
    await old.close()
    code, _, err = await migrate_db("--from", f"sqlite:///{old.path}", "--to", database_url)
    assert code == 1
    assert "run `widget-server init`" in err


async def test_a_count_mismatch_exits_non_zero(
    source: str, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def short(*_: object) -> list[TableCount]:
        return [TableCount("themes", 1, 1), TableCount("daily_counters", 3, 2)]

    monkeypatch.setattr(widget_server.cli.server, "transfer", short)
    code, out, _ = await migrate_db("--from", source, "--to", database_url)
    assert code == 1
    assert "MISMATCH" in out
    assert "daily_counters" in out


async def test_every_table_of_the_schema_is_copied(storage: Storage) -> None:
    assert set(await storage.table_names()) == set(TABLES), "add new tables to transfer.TABLES"
