"""Counting across processes and days: the shared visitor state over HTTP, in-process.

Daily caps per address, one-time view tokens and once-a-day visitors that hold
across server processes and restarts, on the database's visitor state and on
Redis (``WIDGET_TEST_REDIS_URL``); what happens while that state is down; big
batches settled in parts.  The per-request rules are in test_counting.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

import widget_server.counting.intake
import widget_server.counting.settlement
from tests.conftest import BROWSER, Clock, reopened
from tests.counting_helpers import (
    STATES,
    beacon,
    rejected,
    served_block,
    stored,
    with_state,
)
from widget_server.core.errors import StorageError
from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.counting.events import BLOCK, day_of
from widget_server.counting.intake import (
    CLICKS_PER_ADDRESS_AND_HOST,
    VIEWS_PER_ADDRESS_AND_HOST,
)
from widget_server.storage import SQLiteStorage
from widget_server.web.app import create_app

pytestmark = pytest.mark.asyncio


async def test_an_address_adds_at_most_its_daily_cap_to_a_host_whatever_the_user_agent(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    token = signer.embed_token(network["blumen"])
    for n in range(3 * VIEWS_PER_ADDRESS_AND_HOST):
        if n % 30 == 29:
            clock.advance(61)  # stay under the per-minute limit: the daily cap is tested
        block = await served_block(visitor, token)
        await beacon(visitor, block["view"], **{"User-Agent": f"{BROWSER} #{n}"})
    assert await rejected(app) == {"capped": 2 * VIEWS_PER_ADDRESS_AND_HOST}
    views = await stored(app, storage, "viewed")
    assert {r.count for r in views if r.partner_id == BLOCK} == {VIEWS_PER_ADDRESS_AND_HOST}
    # The refused beacons are what the coordinator sees as a burst on this member.
    host, theme = await storage.get_member("blumen"), await storage.get_theme("hochzeit")
    today = day_of(clock())
    assert await storage.list_capped(theme.id, today, today) == [
        (today, host.id, 2 * VIEWS_PER_ADDRESS_AND_HOST)
    ]
    # The cap is per day: tomorrow the same address counts again.
    clock.advance(86_400)
    block = await served_block(visitor, token)
    await beacon(visitor, block["view"], **{"User-Agent": f"{BROWSER} tomorrow"})
    assert (await rejected(app)).get("capped") == 2 * VIEWS_PER_ADDRESS_AND_HOST
    assert len([r for r in await stored(app, storage, "viewed") if r.partner_id == BLOCK]) == 2


async def test_an_address_adds_at_most_its_daily_cap_over_all_hosts(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(widget_server.counting.intake, "VIEWS_PER_ADDRESS", 7)
    for slug in ("blumen", "catering", "fotos"):
        origin = f"https://{slug}.example"
        for n in range(4):
            block = await served_block(visitor, signer.embed_token(network[slug]))
            await beacon(visitor, block["view"], origin, **{"User-Agent": f"{BROWSER} #{n}"})
    assert await rejected(app) == {"capped": 12 - 7}
    views = await stored(app, storage, "viewed")
    assert sum(r.count for r in views if r.partner_id == BLOCK) == 7


async def test_clicks_of_an_address_on_a_host_are_capped_per_day(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
) -> None:
    token = signer.embed_token(network["blumen"])
    for n in range(CLICKS_PER_ADDRESS_AND_HOST + 4):
        agent = {"User-Agent": f"{BROWSER} #{n}"}
        if n % 10 == 9:
            clock.advance(61)
        block = await served_block(visitor, token)
        await beacon(visitor, block["view"], **agent)
        assert (await visitor.get(block["partners"][0]["url"], headers=agent)).status_code == 302
    assert (await rejected(app)).get("capped") == 4 + 4  # views and clicks past the caps
    clicks = await stored(app, storage, "clicked")
    assert sum(r.count for r in clicks) == CLICKS_PER_ADDRESS_AND_HOST


@contextlib.asynccontextmanager
async def server_process(
    settings: Settings, storage: SQLiteStorage, clock: Clock
) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    """One more server on the same database (as another process or a restart would be),
    with the visitor's browser pointed at it."""
    application = create_app(settings, storage=reopened(storage), clock=clock)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("198.51.100.7", 50000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers={"User-Agent": BROWSER}
        ) as browser:
            yield application, browser


async def stored_block_views(storage: SQLiteStorage) -> list[int]:
    rows = await storage.list_counts()
    return [r.count for r in rows if r.kind == "viewed" and r.partner_id == BLOCK]


@pytest.mark.parametrize("state", STATES)
async def test_a_used_view_token_never_counts_again_after_a_restart(
    network: dict[str, int],
    storage: SQLiteStorage,
    settings: Settings,
    state: str,
    clock: Clock,
) -> None:
    """The one-time marks live in the shared visitor state, not in the process."""
    settings = with_state(settings, state)
    token = Signer([str(settings.secret_keys[0])], clock=clock).embed_token(network["blumen"])
    async with server_process(settings, storage, clock) as (first, browser):
        view_url = (await served_block(browser, token))["view"]
        await beacon(browser, view_url)
        assert await rejected(first) == {}
    async with server_process(settings, storage, clock) as (restarted, browser):
        await beacon(browser, view_url)
        assert await rejected(restarted) == {"replayed": 1}
    assert await stored_block_views(storage) == [1]


@pytest.mark.parametrize("state", STATES)
async def test_two_processes_credit_a_visitor_once_a_day(
    network: dict[str, int],
    storage: SQLiteStorage,
    settings: Settings,
    state: str,
    clock: Clock,
) -> None:
    """Round-robin without sticky routing: each process sees some of the visitor's beacons."""
    settings = with_state(settings, state)
    token = Signer([str(settings.secret_keys[0])], clock=clock).embed_token(network["blumen"])
    async with contextlib.AsyncExitStack() as stack:
        servers = [
            await stack.enter_async_context(server_process(settings, storage, clock))
            for _ in range(2)
        ]
        for n in range(6):  # alternate: block from one process, beacon to the other
            block = await served_block(servers[n % 2][1], token)
            await beacon(servers[(n + 1) % 2][1], block["view"])
        outcomes = [await rejected(application) for application, _ in servers]
        assert sum(o.get("already-counted", 0) for o in outcomes) == 5
    assert await stored_block_views(storage) == [1]


@pytest.mark.parametrize("agent", ["Googlebot/2.1 (+http://www.google.com/bot.html)", ""])
async def test_blocks_served_to_bots_are_not_counted_as_served(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    client: httpx.AsyncClient,
    signer: Signer,
    agent: str,
) -> None:
    token = signer.embed_token(network["blumen"])
    await served_block(client, token, **{"User-Agent": agent})
    assert (await client.get(f"/w/{token}.html", headers={"User-Agent": agent})).status_code == 200
    assert await stored(app, storage, "served") == []
    await served_block(client, token, **{"User-Agent": BROWSER})
    assert {r.count for r in await stored(app, storage, "served")} == {1}


class DownStore:
    """Visitor state that is unreachable (Redis or the database down)."""

    async def salt(self, day: object) -> bytes:
        raise StorageError("connection refused")

    async def settle(self, *args: object) -> object:
        raise StorageError("connection refused")

    async def close(self) -> None:
        return None


async def test_beacons_are_answered_and_kept_while_the_visitor_state_is_down(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
) -> None:
    counting = app.state.runtime.counting
    working = counting.store
    block = await served_block(visitor, signer.embed_token(network["blumen"]))
    await beacon(visitor, block["view"])  # accepted while the state is up (salt cached)
    counting.store = DownStore()
    await counting.flush(app.state.runtime.storage)  # the settle fails: the view waits
    assert await stored(app, storage, "viewed") == []
    counting.store = working
    views = await stored(app, storage, "viewed")
    assert {r.count for r in views} == {1}  # nothing lost once it is back


async def test_a_beacon_is_answered_when_the_days_salt_cannot_be_read(
    network: dict[str, int],
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
) -> None:
    app.state.runtime.counting.store = DownStore()
    block = await served_block(visitor, signer.embed_token(network["blumen"]))
    await beacon(visitor, block["view"])  # still 204, no cookie
    assert app.state.runtime.counting.rejected == {"unavailable": 1}


async def test_a_big_batch_is_settled_in_parts_with_the_same_outcome(
    network: dict[str, int],
    storage: SQLiteStorage,
    app: Starlette,
    client: httpx.AsyncClient,
    signer: Signer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Parts of 3 events: a view and its click, a replay, land in different parts."""
    monkeypatch.setattr(widget_server.counting.settlement, "SETTLE_BATCH", 3)
    token = signer.embed_token(network["blumen"])
    for n in range(5):
        browser = {"User-Agent": f"{BROWSER} #{n}", "X-Forwarded-For": f"198.51.100.{n + 1}"}
        block = await served_block(client, token, **browser)
        await beacon(client, block["view"], **browser)
        await beacon(client, block["view"], **browser)  # the same token again
        assert (await client.get(block["partners"][0]["url"], headers=browser)).status_code == 302
    assert await rejected(app) == {"replayed": 5}
    views = await stored(app, storage, "viewed")
    assert sum(r.count for r in views if r.partner_id == BLOCK) == 5
    assert sum(r.count for r in await stored(app, storage, "clicked")) == 5
