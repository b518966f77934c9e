"""Shared fixtures: a real SQLite database per test, the app in-process, a seeded network."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.datastructures import Secret

from widget_server.app import create_app
from widget_server.network import MemberInput, add_member, add_theme, placement_for
from widget_server.settings import Settings
from widget_server.signing import Signer
from widget_server.storage import SQLiteStorage

SECRET = "test-secret-key-0123456789"


class Clock:
    """A clock the test moves by hand (the only thing we fake besides transports)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.db"


@pytest.fixture
def settings(db_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{db_path}",
        secret_keys=(Secret(SECRET),),
        snapshot_interval=0.2,
    )


@pytest.fixture
def signer(clock: Clock) -> Signer:
    return Signer([SECRET], clock=clock)


@pytest_asyncio.fixture
async def storage(db_path: Path) -> AsyncIterator[SQLiteStorage]:
    store = SQLiteStorage(db_path)
    await store.open()
    await store.migrate()
    yield store
    await store.close()


WEDDING_MEMBERS = (
    ("brautmoden", "Brautmoden Carstens", "bridal-wear"),
    ("catering", "Küstenküche Boie", "catering"),
    ("blumen", "Blumenhaus am Markt", "flowers"),
    ("scheune", "Festscheune Wulfshof", "venue"),
    ("fotos", "Fotografie Brandt", "photography"),
)


@pytest_asyncio.fixture
async def network(storage: SQLiteStorage) -> dict[str, int]:
    """A wedding theme with five active members; returns placement ids by member slug."""
    await add_theme(storage, slug="hochzeit", name_de="Hochzeit", name_en="Wedding")
    placements = {}
    for slug, name, category in WEDDING_MEMBERS:
        await add_member(
            storage,
            MemberInput(
                slug=slug,
                name=name,
                website=f"https://{slug}.example/",
                category=category,
                town="Heide",
                description=f"{name} in Heide",
                themes=("hochzeit",),
            ),
        )
        _, _, placement = await placement_for(storage, slug, "hochzeit")
        placements[slug] = placement.id
    return placements


@pytest_asyncio.fixture
async def app(settings: Settings, storage: SQLiteStorage, clock: Clock) -> AsyncIterator[Starlette]:
    """The app over the test database, its lifespan entered (the snapshot is loaded).

    Request ``network`` before ``app``/``client`` so the snapshot sees the seeded data.
    """
    application = create_app(settings, storage=SQLiteStorage(storage.path), clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
