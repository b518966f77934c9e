"""The block cache's rules as a table: what a render serves and whether it asks the server."""

from __future__ import annotations

import httpx
import pytest

from partnerkreis import Block, InternalServerError
from partnerkreis._cache import BlockCache, Decision, Entry, Key, max_age

KEY = Key("hochzeit", "blumen", None, None)
BLOCK = Block(theme="hochzeit", member="blumen", html="<nav></nav>", etag='"e"')
ERROR = InternalServerError("503", status=503)


def cache_with(entry: Entry | None) -> BlockCache:
    cache = BlockCache(max_stale=100.0, retry_interval=5.0)
    if entry is not None:
        cache._entries[KEY] = entry
    return cache


@pytest.mark.parametrize(
    ("entry", "now", "expected"),
    [
        (None, 0.0, Decision(None)),
        (Entry(BLOCK, fresh_until=10.0), 9.9, Decision("cache")),
        (Entry(BLOCK, fresh_until=10.0), 10.0, Decision("stale", refresh=True)),
        (Entry(BLOCK, fresh_until=10.0), 109.9, Decision("stale", refresh=True)),
        (Entry(BLOCK, fresh_until=10.0), 110.0, Decision(None)),
        (Entry(BLOCK, fresh_until=10.0, failed_at=20.0, error=ERROR), 24.9, Decision("fallback")),
        (
            Entry(BLOCK, fresh_until=10.0, failed_at=20.0, error=ERROR),
            25.0,
            Decision("fallback", refresh=True),
        ),
        (Entry(BLOCK, fresh_until=10.0, failed_at=200.0, error=ERROR), 210.0, Decision(None)),
        (Entry(None, failed_at=20.0, error=ERROR), 21.0, Decision("fallback")),
        (Entry(None, failed_at=20.0, error=ERROR), 26.0, Decision(None)),
    ],
)
def test_decisions(entry: Entry | None, now: float, expected: Decision) -> None:
    assert cache_with(entry).decide(KEY, now) == expected


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("private, max-age=299", 299.0),
        ("max-age=0", 0.0),
        ("no-store", 0.0),
        ("private, no-cache", 0.0),
        ("", 60.0),
        ("public", 60.0),
    ],
)
def test_max_age_table(header: str, seconds: float) -> None:
    assert max_age(httpx.Response(200, headers={"Cache-Control": header})) == seconds


def test_the_cache_is_bounded() -> None:
    cache = BlockCache(max_stale=1.0, max_entries=3)
    for n in range(5):
        cache.failed(Key("t", f"m{n}", None, None), ERROR, 0.0)
    assert len(cache) == 3
    assert cache.entry(Key("t", "m0", None, None)) is None
