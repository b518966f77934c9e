"""A real network on SQLite and the real app: skipped only where ``widget_server`` is absent.

The SDK is its own distribution; these tests need the server package installed
next to it (``pip install -e .`` at the repository root) and are skipped,
directory-wide, only when it cannot be imported.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

pytest.importorskip("widget_server")

from starlette.applications import Starlette  # noqa: E402
from starlette.datastructures import Secret  # noqa: E402
from widget_server.core.settings import Settings
from widget_server.network.keys import create_key
from widget_server.network.services import MemberInput, add_member, add_theme
from widget_server.storage import SQLiteStorage
from widget_server.web.app import create_app

from partnerkreis import AsyncClient  # noqa: E402

SECRET = "sdk-test-secret-key-0123456789"
THEME = "hochzeit-heide"
MEMBERS = (
    ("blumenhaus", "Blumenhaus am Markt", "flowers"),
    ("catering", "Küstenküche <Boie> & Söhne", "catering"),
    ("scheune", "Festscheune Wulfshof", "venue"),
    ("fotos", "Fotografie Brandt", "photography"),
)


@dataclass(frozen=True)
class Keys:
    coordinator: str
    member: str  # member:blumenhaus


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "network.db"


@pytest_asyncio.fixture
async def storage(db_path: Path) -> AsyncIterator[SQLiteStorage]:
    store = SQLiteStorage(db_path)
    await store.open()
    await store.migrate()
    yield store
    await store.close()


@pytest_asyncio.fixture
async def keys(storage: SQLiteStorage) -> Keys:
    """A wedding theme in Heide with four active members, and two API keys."""
    await add_theme(storage, slug=THEME, name_de="Hochzeit", name_en="Wedding")
    for slug, name, category in MEMBERS:
        await add_member(
            storage,
            MemberInput(
                slug=slug,
                name=name,
                website=f"https://{slug}.example/",
                category=category,
                town="Heide",
                description=f"{name} in Heide",
                themes=(THEME,),
            ),
        )
    _, coordinator = await create_key(storage, "coordinator", "sdk tests")
    _, member = await create_key(storage, "member:blumenhaus", "cms")
    return Keys(coordinator, member)


@pytest_asyncio.fixture
async def app(keys: Keys, storage: SQLiteStorage, db_path: Path) -> AsyncIterator[Starlette]:
    settings = Settings(
        database_url=f"sqlite:///{db_path}",
        secret_keys=(Secret(SECRET),),
        snapshot_interval=0.2,
        new_members="active",
        allowed_hosts=("testserver",),
    )
    application = create_app(settings, storage=SQLiteStorage(storage.path))
    async with application.router.lifespan_context(application):
        yield application


class RecordingTransport(httpx.ASGITransport):
    """The app in-process, noting each answer's status."""

    def __init__(self, app: Starlette) -> None:
        super().__init__(app=app)
        self.statuses: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        self.statuses.append(response.status_code)
        return response


def client_for(
    app: Starlette, key: str, transport: httpx.ASGITransport | None = None, **options: Any
) -> AsyncClient:
    return AsyncClient(
        key,
        base_url="http://testserver",
        transport=transport or httpx.ASGITransport(app=app),
        **options,
    )


@pytest_asyncio.fixture
async def coordinator(app: Starlette, keys: Keys) -> AsyncIterator[AsyncClient]:
    async with client_for(app, keys.coordinator) as client:
        yield client


@pytest_asyncio.fixture
async def member(app: Starlette, keys: Keys) -> AsyncIterator[AsyncClient]:
    async with client_for(app, keys.member) as client:
        yield client
