"""Large reads are made into records beside the event loop, and the same records.

``list_counts`` and ``list_members`` make rows into ``CounterRow`` and ``Member``
objects; past a few thousand rows (a theme of 10,000 members: 50 ms of the loop)
they do it in a worker thread.  Here the threshold is put at one row, so both
ways run on the same data.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest

from widget_server.core.models import CounterRow
from widget_server.storage import Storage, counts, members
from widget_server.storage import postgres as pg
from widget_server.storage.dialect import Row
from widget_server.storage.postgres import PostgresStorage

from . import postgres

needs_postgres = pytest.mark.skipif(postgres.server_url() is None, reason=postgres.HINT)

pytestmark = pytest.mark.asyncio


async def test_large_reads_are_made_in_a_thread_into_the_same_records(
    storage: Storage, network: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    theme = await storage.get_theme("hochzeit")
    listed = await storage.list_members(theme_id=theme.id)
    ids = [m.id for m in listed]
    day = date(2027, 3, 1)
    await storage.add_counts(
        [CounterRow(day, theme.id, h, p, "viewed", 3, 1.5) for h in ids for p in ids if h != p]
    )
    rows = await storage.list_counts(theme_id=theme.id)
    assert len(rows) == len(ids) * (len(ids) - 1)
    made_in: list[str] = []
    real = counts.counter_from

    def counted(*args: object) -> CounterRow:
        made_in.append(threading.current_thread().name)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(counts, "counter_from", counted)
    monkeypatch.setattr(counts, "CONVERTED_ON_LOOP", 1)
    monkeypatch.setattr(members, "MEMBERS_ON_LOOP", 1)
    assert await storage.list_counts(theme_id=theme.id) == rows
    assert await storage.list_members(theme_id=theme.id) == listed
    assert made_in and threading.main_thread().name not in made_in


@needs_postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_large_answer_of_postgresql_is_made_into_tuples_in_a_thread(
    storage: Storage, network: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """asyncpg's records become tuples beside the loop past ``TUPLES_ON_LOOP``: the same
    rows either way (SQLite's rows come as tuples from sqlite3)."""
    assert isinstance(storage, PostgresStorage)
    before = await storage.list_members()
    made_in: list[str] = []
    real = pg._tuples

    def counted(records: Sequence[Any]) -> list[Row]:
        made_in.append(threading.current_thread().name)
        return real(records)

    monkeypatch.setattr(pg, "_tuples", counted)
    monkeypatch.setattr(pg, "TUPLES_ON_LOOP", 1)
    assert await storage.list_members() == before
    assert len(before) == len(network)
    assert made_in and threading.main_thread().name not in made_in
