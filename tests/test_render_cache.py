"""The render cache: least recently used out first, entries dropped per theme, and what
the widget endpoints keep in it (the JSON block and the iframe page, once per bucket)."""

from __future__ import annotations

import dataclasses
import gc
import re

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette

from tests.conftest import Clock, reopened
from tests.counting_helpers import stored
from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.serving.cache import PARTS_PER_THEME, RenderCache
from widget_server.serving.snapshot import LedgerInput, Snapshot
from widget_server.storage import NetworkData, SQLiteStorage
from widget_server.web.app import create_app

# -- the cache itself -----------------------------------------------------------------------


def test_a_full_cache_drops_the_entry_used_longest_ago() -> None:
    cache = RenderCache(3)
    for n in range(3):
        cache.put(1, ("block", n), n)
    assert cache.get(("block", 0)) == 0  # used again: now the most recent
    cache.put(1, ("block", 3), 3)
    assert cache.get(("block", 1)) is None  # the least recently used went
    assert [cache.get(("block", n)) for n in (0, 2, 3)] == [0, 2, 3]
    assert len(cache) == 3


def test_invalidating_a_theme_drops_its_entries_and_keeps_the_others() -> None:
    cache = RenderCache(100)
    for n in range(5):
        cache.put(1, ("a", n), n)
        cache.put(2, ("b", n), n)
    assert cache.invalidate_theme(1) == 5
    assert all(cache.get(("a", n)) is None for n in range(5))
    assert [cache.get(("b", n)) for n in range(5)] == list(range(5))
    assert cache.invalidate_theme(1) == 0
    assert cache.invalidate_theme(99) == 0
    cache.put(1, ("a", 0), "again")  # a theme's new entries are filed again
    assert cache.get(("a", 0)) == "again"


def test_an_entry_put_again_under_another_theme_belongs_to_that_theme() -> None:
    cache = RenderCache(10)
    cache.put(1, "key", "old")
    cache.put(2, "key", "new")
    assert cache.invalidate_theme(1) == 0
    assert cache.get("key") == "new"
    assert cache.invalidate_theme(2) == 1
    assert len(cache) == 0


def test_evicted_entries_leave_no_trace_in_their_theme() -> None:
    cache = RenderCache(2)
    cache.put(1, "a", 1)
    cache.put(1, "b", 2)
    cache.put(2, "c", 3)  # evicts "a"
    assert cache.invalidate_theme(1) == 1  # only "b" was still there
    assert cache.get("c") == 3


@given(st.lists(st.tuples(st.integers(1, 4), st.integers(0, 12)), max_size=80))
def test_the_cache_never_holds_more_than_its_size(puts: list[tuple[int, int]]) -> None:
    cache = RenderCache(5)
    for theme, key in puts:
        cache.put(theme, key, (theme, key))
        assert len(cache) <= 5
        assert cache.get(key) == (theme, key)
    dropped = sum(cache.invalidate_theme(t) for t in range(1, 5))
    assert dropped == min(5, len({k for _, k in puts}))
    assert len(cache) == 0


class CountedKey:
    """A cache key that counts how often the cache looks at it (hash and compare)."""

    looked = 0

    def __init__(self, name: str) -> None:
        self.name = name

    def __hash__(self) -> int:
        CountedKey.looked += 1
        return hash(self.name)

    def __eq__(self, other: object) -> bool:
        CountedKey.looked += 1
        return isinstance(other, CountedKey) and other.name == self.name


def test_a_change_costs_the_entries_of_its_themes_not_the_whole_cache() -> None:
    # A write made the new snapshot's cache by copying all of it (10,000 entries: the
    # event loop held for each write); now only the changed theme's entries are touched.
    cache = RenderCache(10_000)
    keys = {(theme, n): CountedKey(f"{theme}/{n}") for theme in range(100) for n in range(50)}
    for (theme, _), key in keys.items():
        cache.put(theme, key, theme)
    CountedKey.looked = 0
    new = cache.without({7})
    assert CountedKey.looked <= 2 * 50  # the 50 entries of theme 7, none of the 4,950 others
    assert len(new) == 4_950
    assert new.get(keys[(8, 0)]) == 8 and new.get(keys[(7, 0)]) is None


def test_what_a_change_drops_is_handed_over_to_be_freed_and_nothing_else() -> None:
    # A ledger install names every theme; most have nothing cached.  What goes to the
    # worker thread to be freed is the dropped entries and their key sets alone.
    cache = RenderCache(100)
    cache.put(1, "a", "block a")
    cache.put(1, "b", "block b")
    freed: list[object] = []
    new = cache.without(range(1_000), freed)
    assert len(new) == 0
    entries = [f for f in freed if isinstance(f, tuple)]
    assert sorted(e[1] for e in entries) == ["block a", "block b"]
    assert len(freed) == len(entries) + 1  # theme 1's key set; no empty set, no None
    assert all(f for f in freed)


class Tracked:
    """A value the cyclic collector tracks, as the cache's rendered blocks are."""

    def __init__(self, n: int) -> None:
        self.parts = [n]


def test_a_full_cache_keeps_the_collectors_young_generation_small() -> None:
    # Each new entry of a full cache frees the oldest.  The collector counts allocations
    # less deallocations, so its count stayed near zero and it made no pass: the whole
    # cache became the youngest generation (70,000-90,000 objects on a server after the
    # long tail), walked in one 20-42 ms pass when an allocation elsewhere tipped the
    # count.  The cache now has the young generations walked as it goes.
    for keep in ("put", "keep_ready"):
        cache = RenderCache(5_000)
        gc.collect()
        for n in range(40_000):  # 5,000 entries of 3 tracked objects, turned over 7 times
            if keep == "put":
                cache.put(1, n, Tracked(n))
            else:
                cache.keep_ready(n, Tracked(n))
        young = len(gc.get_objects(generation=0))
        assert young < 1_500, (keep, young)  # it was 15,000: the cache's whole content


def test_the_older_cache_neither_reads_nor_keeps_what_a_newer_one_changed() -> None:
    old = RenderCache(100)
    old.put(1, "a", "old a")
    old.put(2, "b", "old b")
    old.keep_ready("request", "response")
    new = old.without({1})
    assert new.ready == {} and old.ready == {"request": "response"}
    assert (new.get("a"), new.get("b")) == (None, "old b")  # theme 2 did not change
    # A request still finishing on the old snapshot makes theme 1's entry from old
    # data: the new snapshot must not serve it, so it is not kept.
    old.put(1, "a", "stale a")
    assert new.get("a") is None
    new.put(1, "a", "new a")
    assert old.get("a") is None  # made from the new data: not for the old snapshot
    assert new.get("a") == "new a"
    # Unchanged themes stay shared both ways.
    old.put(2, "c", "c")
    assert new.get("c") == "c"
    # A change after that: the newest cache is behind on nothing, the older ones on
    # every theme changed after them.
    newer = new.without({2})
    assert newer.get("a") == "new a" and new.get("a") == "new a"
    assert newer.get("b") is None and newer.get("c") is None
    newer.put(2, "b", "newer b")
    assert (new.get("b"), old.get("b")) == (None, None)
    assert old.get("a") is None


def test_a_cache_of_no_entries_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        RenderCache(0)


def test_a_snapshot_gets_a_cache_of_the_configured_size_and_invalidates_by_theme() -> None:
    snapshot = Snapshot.build(NetworkData(1, (), (), (), (), ()), LedgerInput(), 0.0, 123)
    assert snapshot.cache.size == 123
    snapshot.remember(7, "x", 1)
    snapshot.remember(8, "y", 2)
    snapshot.invalidate_theme(7)
    assert (snapshot.cached("x"), snapshot.cached("y")) == (None, 2)


class Body:
    """A rendered value: the cache measures it by its body."""

    def __init__(self, size: int) -> None:
        self.body = b"x" * size


class Estimated:
    """A value that estimates its own size (a shared plan part does)."""

    def __init__(self, size: int) -> None:
        self.size = size

    def footprint(self) -> int:
        return self.size


def test_a_cache_over_its_bytes_drops_the_entries_used_longest_ago() -> None:
    cache = RenderCache(100, max_bytes=30_000)  # 20,000 for the entries
    for n in range(4):  # 4,350 bytes each as counted (body, its object, the entry)
        cache.put(1, n, Body(4_000))
    assert len(cache) == 4
    cache.get(0)  # used again: now the most recent
    cache.put(1, 4, Body(4_000))
    assert cache.get(1) is None and len(cache) == 4  # the least recently used went
    cache.put(2, "part", Estimated(12_000))  # a value's own estimate counts
    assert [k for k in (0, 2, 3, 4, "part") if cache.get(k) is not None] == [4, "part"]
    assert cache.entry_bytes <= 20_000


def test_plan_parts_outlive_rendered_blocks_until_they_alone_fill_the_cache() -> None:
    cache = RenderCache(100, max_bytes=30_000)  # 20,000 for the entries
    cache.put(1, "part-1", Estimated(6_000))
    cache.put(2, "part-2", Estimated(6_000))
    for n in range(10):
        cache.put(1, n, Body(2_000))
    assert cache.get("part-1") is not None and cache.get("part-2") is not None
    assert [n for n in range(10) if cache.get(n) is not None] == [7, 8, 9]
    cache.put(3, "part-3", Estimated(6_000))  # the blocks go first, then the oldest part
    assert [k for k in ("part-1", "part-2", "part-3", 9) if cache.get(k)] == [
        "part-1",
        "part-2",
        "part-3",
    ]
    cache.put(4, "part-4", Estimated(6_000))
    assert cache.get("part-1") is None and cache.get("part-4") is not None
    assert cache.invalidate_theme(2) == 1 and cache.entry_bytes == 2 * 6_250


def test_an_entry_larger_than_the_budget_is_still_kept_alone() -> None:
    cache = RenderCache(100, max_bytes=3_000)
    cache.put(1, "a", Body(100))
    cache.put(1, "big", Body(50_000))
    assert cache.get("big") is not None and len(cache) == 1


def test_kept_answers_take_at_most_a_third_of_the_bytes() -> None:
    cache = RenderCache(100, max_bytes=30_000)  # 10,000 for the kept answers
    for n in range(5):  # 2,800 bytes each as counted (body, headers, key)
        cache.keep_ready(("path", n), Body(2_000))
    assert list(cache.ready) == [("path", 2), ("path", 3), ("path", 4)]
    assert cache.ready_bytes <= 10_000
    cache.invalidate_theme(1)
    assert cache.ready_bytes == 0


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["put", "get", "invalidate", "without", "ready"]),
            st.integers(1, 3),
            st.integers(0, 9),
            st.integers(0, 6_000),
        ),
        max_size=60,
    )
)
def test_the_bytes_counted_are_the_entries_kept(ops: list[tuple[str, int, int, int]]) -> None:
    cache = RenderCache(6, max_bytes=24_000)
    for op, theme, key, size in ops:
        if op == "put":
            cache.put(theme, key, Body(size))
        elif op == "get":
            cache.get(key)
        elif op == "invalidate":
            cache.invalidate_theme(theme)
        elif op == "without":
            cache = cache.without([theme])
        else:
            cache.keep_ready(key, Body(size))
        entries = [cache._entries[k][1] for k in cache._entries]
        assert cache.entry_bytes == sum(len(v.body) + 350 for v in entries)
        assert cache.entry_bytes <= 16_000 or len(cache) == 1
        assert cache.ready_bytes == sum(len(v.body) + 800 for v in cache.ready.values())
        assert cache.ready_bytes <= 8_000 or len(cache.ready) == 1
        assert len(cache) <= 6 and len(cache.ready) <= 6


def test_a_snapshot_gets_a_cache_of_the_configured_bytes() -> None:
    snapshot = Snapshot.build(NetworkData(1, (), (), (), (), ()), LedgerInput(), 0.0, 50, 5 << 20)
    assert (snapshot.cache.size, snapshot.cache.max_bytes) == (50, 5 << 20)
    assert snapshot.cache.without([1]).max_bytes == 5 << 20


# -- the setting ----------------------------------------------------------------------------


def test_render_cache_size_defaults_to_twenty_thousand_entries() -> None:
    assert Settings.from_environ({}).render_cache_size == 10_000


@pytest.mark.parametrize("value", ["100", "10000000"])
def test_render_cache_size_at_its_limits_is_accepted(value: str) -> None:
    settings = Settings.from_environ({"WIDGET_RENDER_CACHE_SIZE": value})
    assert settings.render_cache_size == int(value)


@pytest.mark.parametrize("value", ["99", "0", "-5", "10000001", "lots", "1e5"])
def test_render_cache_size_out_of_range_names_the_variable(value: str) -> None:
    with pytest.raises(ValueError, match="WIDGET_RENDER_CACHE_SIZE"):
        Settings.from_environ({"WIDGET_RENDER_CACHE_SIZE": value})


def test_render_cache_bytes_default_to_48_megabytes() -> None:
    assert Settings.from_environ({}).render_cache_mb == 48


@pytest.mark.parametrize("value", ["4", "65536"])
def test_render_cache_megabytes_at_their_limits_are_accepted(value: str) -> None:
    assert Settings.from_environ({"WIDGET_RENDER_CACHE_MB": value}).render_cache_mb == int(value)


@pytest.mark.parametrize("value", ["3", "0", "-1", "65537", "lots", "1.5"])
def test_render_cache_megabytes_out_of_range_name_the_variable(value: str) -> None:
    with pytest.raises(ValueError, match="WIDGET_RENDER_CACHE_MB"):
        Settings.from_environ({"WIDGET_RENDER_CACHE_MB": value})


@pytest.mark.asyncio
async def test_a_servers_render_cache_has_the_configured_bytes(
    settings: Settings, storage: SQLiteStorage, clock: Clock
) -> None:
    configured = dataclasses.replace(settings, render_cache_mb=8, render_cache_size=500)
    application = create_app(configured, storage=reopened(storage), clock=clock)
    async with application.router.lifespan_context(application):
        cache = application.state.runtime.snapshots.current.cache
        assert (cache.size, cache.max_bytes) == (500, 8 << 20)


# -- the widget endpoints -------------------------------------------------------------------


def _entries(app: Starlette, kind: str) -> int:
    cache = app.state.runtime.snapshots.current.cache
    return sum(1 for key in cache._entries if key[0] == kind)


@pytest.mark.asyncio
async def test_the_iframe_page_is_rendered_once_per_bucket_and_its_fetch_counts_nothing(
    network: dict[str, int],
    app: Starlette,
    visitor: httpx.AsyncClient,
    signer: Signer,
    storage: SQLiteStorage,
    clock: Clock,
) -> None:
    clock.now -= clock.now % 300  # the start of a bucket
    token = signer.embed_token(network["blumen"])
    first = await visitor.get(f"/w/{token}.html")
    assert _entries(app, "html") == 1
    clock.advance(100)
    again = await visitor.get(f"/w/{token}.html")
    assert again.content == first.content
    assert _entries(app, "html") == 1
    # The headers are the request's: max-age counts down to the end of the bucket.
    assert first.headers["cache-control"] == "public, max-age=300"
    assert again.headers["cache-control"] == "public, max-age=200"
    assert again.headers["content-type"] == "text/html; charset=utf-8"
    assert again.headers["x-content-type-options"] == "nosniff"
    assert again.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "default-src 'none'" in again.headers["content-security-policy"]
    assert int(again.headers["content-length"]) == len(again.content)
    # Fetching counts nothing (a cache may answer); frame.js exchanges its view link.
    assert await stored(app, storage, "served") == []
    # The next bucket renders anew.
    clock.advance(200)
    await visitor.get(f"/w/{token}.html")
    assert _entries(app, "html") == 2


@pytest.mark.asyncio
async def test_the_cached_json_is_the_same_bytes_and_its_view_link_gives_fresh_beacons(
    network: dict[str, int], app: Starlette, client: httpx.AsyncClient, signer: Signer
) -> None:
    token = signer.embed_token(network["blumen"])
    first = await client.get(f"/w/{token}")
    second = await client.get(f"/w/{token}")
    assert _entries(app, "json") == 1
    assert first.content == second.content  # no one-time part: a shared cache may keep it
    assert first.headers["etag"] == second.headers["etag"]
    link = second.json()["view"]
    assert re.fullmatch(r"http://testserver/v/\S+", link)
    beacons = [(await client.post(link)).json()["view"] for _ in range(2)]
    assert beacons[0] != beacons[1]  # one-time: fresh per exchange
    assert all(re.fullmatch(r"http://testserver/v/\S+", url) for url in beacons)


@pytest.mark.asyncio
async def test_invalidating_a_theme_renders_its_blocks_anew(
    network: dict[str, int], app: Starlette, client: httpx.AsyncClient, signer: Signer
) -> None:
    token = signer.embed_token(network["blumen"])
    await client.get(f"/w/{token}")
    await client.get(f"/w/{token}.html")
    snapshot = app.state.runtime.snapshots.current
    theme_id = snapshot.placements[network["blumen"]].theme_id
    assert _entries(app, "json") == _entries(app, "html") == 1
    assert snapshot.cache.part(theme_id, ("shared", id(snapshot.pools[theme_id].rules)))
    snapshot.invalidate_theme(theme_id)
    assert len(snapshot.cache) == 0
    page = await client.get(f"/w/{token}.html")
    assert page.status_code == 200 and _entries(app, "html") == 1


# -- a theme's parts beside the entries -------------------------------------------------------


def test_a_themes_parts_are_not_pushed_out_by_entries_and_go_with_the_theme() -> None:
    cache = RenderCache(2)
    cache.keep_part(1, "frame", "f1")
    cache.keep_part(2, "frame", "f2")
    for n in range(10):  # many blocks: the entries turn over, the parts stay
        cache.put(1, ("block", n), n)
    assert (cache.part(1, "frame"), cache.part(2, "frame")) == ("f1", "f2")
    assert len(cache) == 2
    # A snapshot that changes theme 2 shares the parts but theme 2's; the old snapshot
    # is behind on theme 2 from then on and reads none of its parts, old or new.
    taken_over = cache.without({2})
    assert (taken_over.part(1, "frame"), taken_over.part(2, "frame")) == ("f1", None)
    assert (cache.part(1, "frame"), cache.part(2, "frame")) == ("f1", None)
    taken_over.keep_part(2, "frame", "f2 new")
    cache.keep_part(2, "frame", "f2 old")  # made from the old data: not kept
    assert (taken_over.part(2, "frame"), cache.part(2, "frame")) == ("f2 new", None)
    taken_over.invalidate_theme(1)
    assert (taken_over.part(1, "frame"), taken_over.part(2, "frame")) == (None, "f2 new")
    taken_over.clear()
    assert taken_over.part(2, "frame") is None


def test_a_theme_keeps_at_most_its_number_of_parts_the_first_kept_going_first() -> None:
    cache = RenderCache(10)
    for n in range(PARTS_PER_THEME + 3):
        cache.keep_part(1, n, n)
    assert [cache.part(1, n) for n in range(3)] == [None, None, None]
    assert all(cache.part(1, n) == n for n in range(3, PARTS_PER_THEME + 3))
