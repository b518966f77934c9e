"""The shared visitor state: the same behaviour from memory, the database and Redis.

Redis runs when ``WIDGET_TEST_REDIS_URL`` names a server (CI points it at the
machine's Redis); each test uses keys of its own.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
import pytest_asyncio

from tests.conftest import reopened
from widget_server.counting.visitors import (
    DatabaseStore,
    MemoryStore,
    RedisStore,
    VisitorStore,
    expiry_of,
)
from widget_server.storage import Storage

pytestmark = pytest.mark.asyncio

REDIS_URL = os.environ.get("WIDGET_TEST_REDIS_URL")
KINDS = ["memory", "database", *(["redis"] if REDIS_URL else [])]
DAY = date(2027, 3, 6)
LATER = time.time() + 3600


def redis_store(prefix: str) -> RedisStore:
    assert REDIS_URL is not None
    return RedisStore(REDIS_URL, prefix=prefix)


@pytest_asyncio.fixture(params=KINDS)
async def stores(
    request: pytest.FixtureRequest, storage: Storage
) -> AsyncIterator[tuple[VisitorStore, VisitorStore]]:
    """Two views of one shared state, as two server processes have."""
    if request.param == "memory":
        one = MemoryStore()
        yield one, one
        return
    if request.param == "database":
        other = reopened(storage)
        await other.open()
        yield DatabaseStore(storage), DatabaseStore(other)
        await other.close()
        return
    prefix = f"partnerkreis-test:{secrets.token_hex(8)}:"
    first, second = redis_store(prefix), redis_store(prefix)
    yield first, second
    await first.close()
    await second.close()


async def test_a_claim_is_new_exactly_once_for_every_process(
    stores: tuple[VisitorStore, VisitorStore],
) -> None:
    one, two = stores
    first = await one.settle([b"a" * 16, b"b" * 16], {}, LATER)
    assert first.new == {b"a" * 16, b"b" * 16}
    second = await two.settle([b"a" * 16, b"c" * 16], {}, LATER)
    assert second.new == {b"c" * 16}
    assert (await one.settle([b"c" * 16], {}, LATER)).new == frozenset()


async def test_tallies_add_up_across_processes(
    stores: tuple[VisitorStore, VisitorStore],
) -> None:
    one, two = stores
    assert (await one.settle([], {b"t" * 16: 3, b"u" * 16: 0}, LATER)).totals == {
        b"t" * 16: 3,
        b"u" * 16: 0,
    }
    assert (await two.settle([], {b"t" * 16: 2}, LATER)).totals == {b"t" * 16: 5}


async def test_every_process_gets_the_same_salt_for_a_day_and_another_the_next_day(
    stores: tuple[VisitorStore, VisitorStore],
) -> None:
    one, two = stores
    salt = await one.salt(DAY)
    assert len(salt) == 32
    assert await two.salt(DAY) == salt
    assert await two.salt(DAY + timedelta(days=1)) != salt


async def test_the_database_forgets_salts_after_two_days_and_expired_marks(
    storage: Storage,
) -> None:
    store = DatabaseStore(storage)
    old = await store.salt(DAY)
    await store.salt(DAY + timedelta(days=2))
    # A fresh process cannot get the old salt back: a new one would be made.
    assert await DatabaseStore(storage).salt(DAY) != old
    await store.settle([b"x" * 16], {b"y" * 16: 1}, time.time() - 1)  # already expired
    again = await store.settle([b"x" * 16], {b"y" * 16: 1}, LATER)
    assert again.new == {b"x" * 16}
    assert again.totals == {b"y" * 16: 1}


async def test_marks_made_on_a_day_expire_by_the_end_of_the_next_day() -> None:
    end = expiry_of(DAY)
    assert end - expiry_of(DAY - timedelta(days=1)) == 86_400
    assert time.gmtime(end)[:6] == (2027, 3, 8, 0, 0, 0)


@pytest.mark.skipif(REDIS_URL is None, reason="set WIDGET_TEST_REDIS_URL to test Redis")
async def test_redis_keys_expire_and_hold_no_address() -> None:
    prefix = f"partnerkreis-test:{secrets.token_hex(8)}:"
    store = redis_store(prefix)
    try:
        await store.settle([b"k" * 16], {b"n" * 16: 1}, time.time() + 100)
        await store.salt(date.today())
        import redis.asyncio as redis

        assert REDIS_URL is not None
        client = redis.Redis.from_url(REDIS_URL)
        keys = [k async for k in client.scan_iter(match=f"{prefix}*")]
        assert len(keys) == 3
        for key in keys:
            assert 0 < await client.ttl(key) <= 2 * 86_400 + 1
        await client.aclose()
    finally:
        await store.close()
