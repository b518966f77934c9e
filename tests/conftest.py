"""Shared fixtures: a real database per test, the app in-process, a seeded network.

``storage`` (and everything built on it: ``network``, ``app``, ``client``) runs
on each backend: SQLite always, PostgreSQL when ``WIDGET_TEST_POSTGRES_URL`` is
set (tests/postgres.py), each test in a fresh schema.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.datastructures import Secret

from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.network.services import MemberInput, add_member, add_theme, placement_for
from widget_server.storage import SQLiteStorage, Storage, storage_from_url
from widget_server.web.app import create_app

from . import postgres

BACKENDS = ["sqlite", "postgres"] if postgres.server_url() else ["sqlite"]

SECRET = "test-secret-key-0123456789"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36"


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


def pytest_report_header() -> str:
    return "storage backends: " + ", ".join(BACKENDS)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if "postgres" not in BACKENDS:
        terminalreporter.write_line(postgres.HINT, yellow=True)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest_asyncio.fixture
async def database_url(backend: str, db_path: Path) -> AsyncIterator[str]:
    """An empty database of the test's backend: a SQLite file, or a fresh PostgreSQL schema."""
    if backend == "sqlite":
        yield f"sqlite:///{db_path}"
        return
    server = postgres.server_url()
    assert server is not None
    async with postgres.fresh_schema(server) as url:
        yield url


def reopened(storage: Storage) -> Storage:
    """Another, not yet opened storage on the same database, as another process has."""
    if isinstance(storage, SQLiteStorage):
        return SQLiteStorage(storage.path)
    from widget_server.storage.postgres import PostgresStorage

    assert isinstance(storage, PostgresStorage)
    return PostgresStorage(storage.url)


async def caught_up(app: Starlette, storage: Storage) -> None:
    """Bring ``app``'s snapshot up to the storage's data version, and check it is there.

    The app's own poll (every ``snapshot_interval``) may have installed the change
    already, so what ``refresh()`` returns says nothing; the version it serves does.
    """
    snapshots = app.state.runtime.snapshots
    await snapshots.refresh()
    assert snapshots.current.version == await storage.data_version()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_keys=(Secret(SECRET),),
        snapshot_interval=0.2,
        allowed_hosts=("testserver", "localhost", "127.0.0.1"),
    )


@pytest.fixture
def signer(clock: Clock) -> Signer:
    return Signer([SECRET], clock=clock)


@pytest_asyncio.fixture
async def storage(database_url: str) -> AsyncIterator[Storage]:
    store = storage_from_url(database_url)
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
async def network(storage: Storage) -> dict[str, int]:
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
async def app(settings: Settings, storage: Storage, clock: Clock) -> AsyncIterator[Starlette]:
    """The app over the test database, its lifespan entered (the snapshot is loaded).

    Request ``network`` before ``app``/``client`` so the snapshot sees the seeded data.
    """
    application = create_app(settings, storage=reopened(storage), clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest_asyncio.fixture
async def visitor(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A browser on a member's page: its own address, a real user agent (counting tests)."""
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 50000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers={"User-Agent": BROWSER}
    ) as c:
        yield c
