"""The demo's joint events: a wedding fair and a late-night shopping evening, weeks ahead."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from widget_server.demo.seed import event_day, seed_demo
from widget_server.storage import SQLiteStorage

BASE = "http://127.0.0.1:8123"
NOW = datetime(2027, 1, 13, 15, 0, tzinfo=UTC)  # a Wednesday


@pytest_asyncio.fixture
async def demo_storage(tmp_path: Path) -> AsyncIterator[SQLiteStorage]:
    storage = SQLiteStorage(tmp_path / "demo.db")
    await storage.open()
    await storage.migrate()
    await seed_demo(storage, BASE, joined="2026-01-01T00:00:00+00:00", now=NOW.timestamp())
    yield storage
    await storage.close()


@pytest.mark.asyncio
async def test_a_newcomer_finds_the_fair_and_the_shopping_evening(
    demo_storage: SQLiteStorage,
) -> None:
    wedding = await demo_storage.get_theme("hochzeit-heide")
    town = await demo_storage.get_theme("heide-innenstadt")
    (fair,) = await demo_storage.upcoming_events(wedding.id, NOW)
    (evening,) = await demo_storage.upcoming_events(town.id, NOW)
    berlin = ZoneInfo("Europe/Berlin")
    assert "Hochzeitsmesse" in fair.title and fair.status == "published"
    assert fair.starts_at.astimezone(berlin).weekday() == 6  # a Sunday
    assert fair.starts_at.astimezone(berlin).hour == 10
    assert timedelta(weeks=3) < fair.starts_at - NOW < timedelta(weeks=5)
    assert fair.registration_url == f"{BASE}/demo/site/festscheune-wulfshof"
    assert len(fair.participants) == 7
    assert "Einkaufsnacht" in evening.title
    assert evening.starts_at.astimezone(berlin).weekday() == 4  # a Friday evening
    assert evening.ends_at.astimezone(berlin).hour == 23
    assert evening.registration_url is None
    assert [e.id for e in await demo_storage.upcoming_events(None, NOW)] == [evening.id, fair.id]


@pytest.mark.parametrize(
    ("today", "weeks", "weekday", "day"),
    [
        (date(2027, 1, 13), 4, 6, date(2027, 2, 14)),
        (date(2027, 1, 17), 2, 4, date(2027, 1, 29)),  # today a Sunday: its week's Monday
        (date(2027, 1, 11), 2, 0, date(2027, 1, 25)),
    ],
)
def test_event_day(today: date, weeks: int, weekday: int, day: date) -> None:
    assert event_day(today, weeks, weekday) == day


@pytest.mark.asyncio
async def test_the_demo_page_shows_them_with_the_calendar(demo_storage: SQLiteStorage) -> None:
    import httpx
    from starlette.datastructures import Secret

    from widget_server.core.settings import Settings
    from widget_server.web.app import create_app

    settings = Settings(
        database_url=f"sqlite:///{demo_storage.path}",
        secret_keys=(Secret("demo-events-secret-0123456789"),),
        allowed_hosts=("testserver",),
    )
    app = create_app(settings, storage=SQLiteStorage(demo_storage.path), clock=NOW.timestamp)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            page = await c.get("/demo/")
            feed = await c.get("/t/hochzeit-heide/events.ics")
    assert page.status_code == 200
    assert "Hochzeitsmesse in der Festscheune" in page.text
    assert "Lange Einkaufsnacht in der Innenstadt" in page.text
    assert "/t/hochzeit-heide/events.ics" in page.text
    assert "SUMMARY:Hochzeitsmesse in der Festscheune" in feed.text
