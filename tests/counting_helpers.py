"""What the counting tests share: a visitor's browser, blocks, beacons, the stored rows."""

from __future__ import annotations

import os
import secrets
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.datastructures import Secret

from widget_server.core.models import CounterRow
from widget_server.core.settings import Settings
from widget_server.counting.settlement import CLICK_TRIES
from widget_server.storage import SQLiteStorage

HOST_PAGE = "https://blumen.example"


async def served_block(client: httpx.AsyncClient, token: str, **headers: str) -> dict[str, Any]:
    """A block as the loader shows it: fetched, then its view link exchanged (which
    counts it as served); ``view`` is then this visit's one-time beacon URL."""
    response = await client.get(f"/w/{token}", headers=headers)
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    if data["view"]:
        data["view"] = await exchanged(client, data["view"], **headers)
    return data


async def exchanged(client: httpx.AsyncClient, view_link: str, **headers: str) -> str:
    """The one-time view beacon URL the exchange of a block's view link answers."""
    response = await client.post(view_link, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers
    url: str = response.json()["view"]
    return url


async def beacon(client: httpx.AsyncClient, url: str, origin: str = HOST_PAGE, **h: str) -> None:
    response = await client.post(url, headers={"Origin": origin, **h})
    assert response.status_code == 204
    assert "set-cookie" not in response.headers


async def stored(app: Starlette, storage: SQLiteStorage, kind: str) -> list[CounterRow]:
    runtime = app.state.runtime
    await runtime.counting.flush(runtime.storage)
    return [r for r in await storage.list_counts() if r.kind == kind]


REDIS_URL = os.environ.get("WIDGET_TEST_REDIS_URL")
STATES = ["database", *(["redis"] if REDIS_URL else [])]


def with_state(settings: Settings, state: str) -> Settings:
    """The database's visitor state, or Redis under a network key of the test's own."""
    if state == "database":
        return settings
    assert REDIS_URL is not None
    return settings.with_changes(
        redis_url=Secret(REDIS_URL), secret_keys=(Secret(secrets.token_urlsafe(16)),)
    )


async def rejected(app: Starlette) -> dict[str, int]:
    """Why events were not credited, once the waiting ones are settled.

    A click whose view is not known yet waits up to CLICK_TRIES settlements (the
    view may be waiting in another process), so settle that often.
    """
    for _ in range(CLICK_TRIES):
        await app.state.runtime.counting.settle()
    counts: dict[str, int] = app.state.runtime.counting.rejected
    return counts
