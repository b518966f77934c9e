"""``AsyncClient.blocks.get``: the same rules as the sync client, with tasks."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from partnerkreis import APITimeoutError, AsyncClient, Block, InternalServerError

from .conftest import (
    API_KEY,
    BASE_URL,
    NAV,
    Clock,
    FakeAPI,
    block_answer,
    make_async_client,
    problem,
)

pytestmark = pytest.mark.asyncio
THEME, MEMBER = "hochzeit-heide", "blumenhaus"
HANG_GUARD = 60.0  # seconds; only ever reached if the code under test hangs


async def test_network_cache_stale_and_304(clock: Clock) -> None:
    api = FakeAPI(block_answer(), httpx.Response(304, headers={"Cache-Control": "max-age=60"}))
    async with make_async_client(api, clock=clock) as client:
        first = await client.blocks.get(THEME, member=MEMBER)
        cached = await client.blocks.get(THEME, member=MEMBER)
        clock.advance(61)
        stale = await client.blocks.get(THEME, member=MEMBER)
        await client.blocks.wait()
        again = await client.blocks.get(THEME, member=MEMBER)
    assert [b.source for b in (first, cached, stale, again)] == [
        "network",
        "cache",
        "stale",
        "cache",
    ]
    assert again.html == NAV
    assert api.requests[1].headers["if-none-match"] == '"b1"'
    assert len(api.requests) == 2


async def test_failure_serves_the_last_good_block(clock: Clock) -> None:
    api = FakeAPI(block_answer(), problem(503, "unavailable"))
    async with make_async_client(api, clock=clock) as client:
        await client.blocks.get(THEME, member=MEMBER)
        clock.advance(61)
        await client.blocks.get(THEME, member=MEMBER)
        await client.blocks.wait()
        block = await client.blocks.get(THEME, member=MEMBER)
        with pytest.raises(InternalServerError):
            await client.blocks.get(THEME, member=MEMBER, raise_errors=True)
    assert (block.source, block.html) == ("fallback", NAV)


async def test_the_budget_holds_against_a_slow_server(clock: Clock) -> None:
    answer_now = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        await answer_now.wait()  # answers only once the render has given up on it
        return block_answer()

    client = AsyncClient(
        API_KEY, base_url=BASE_URL, transport=httpx.MockTransport(slow), clock=clock
    )
    async with client:
        block = await asyncio.wait_for(client.blocks.get(THEME, member=MEMBER), HANG_GUARD)
        # Back without an answer from the server: the budget ended the wait.
        assert not answer_now.is_set()
        assert block.source == "fallback"
        assert isinstance(block.error, APITimeoutError)
        answer_now.set()
        await client.blocks.wait()  # the late answer fills the cache
        assert (await client.blocks.get(THEME, member=MEMBER)).source == "cache"


async def test_concurrent_tasks_share_one_fetch(clock: Clock) -> None:
    count = 0
    renders: set[asyncio.Task[Block]] = set()
    arrived: set[asyncio.Task[Block]] = set()
    all_arrived = asyncio.Event()

    def seen_clock() -> float:
        # Each render reads the clock when it decides what to serve, before it can
        # start or join a fetch.
        task = asyncio.current_task()
        if task in renders:
            arrived.add(task)
            if arrived == renders:
                all_arrived.set()
        return clock()

    async def held(request: httpx.Request) -> httpx.Response:
        nonlocal count
        count += 1
        await all_arrived.wait()  # answers once every render is under way
        return block_answer()

    # No render may give up while it waits for the others: the budget is a hang guard.
    client = AsyncClient(
        API_KEY,
        base_url=BASE_URL,
        transport=httpx.MockTransport(held),
        clock=seen_clock,
        block_timeout=HANG_GUARD,
    )
    async with client:
        renders.update(
            asyncio.create_task(client.blocks.get(THEME, member=MEMBER)) for _ in range(10)
        )
        blocks = await asyncio.gather(*renders)
    assert {b.source for b in blocks} == {"network"}
    assert count == 1


async def test_closing_cancels_nothing_that_finishes_in_time(clock: Clock) -> None:
    api = FakeAPI(block_answer(), block_answer(NAV.replace("Co", "Partner")))
    client = make_async_client(api, clock=clock)
    await client.blocks.get(THEME, member=MEMBER)
    clock.advance(61)
    await client.blocks.get(THEME, member=MEMBER)  # starts a background refresh
    await client.aclose()  # waits for it
    assert len(api.requests) == 2
    assert (await client.blocks.get(THEME, member=MEMBER)).source == "cache"
