"""What keeps the event loop free at 100,000 members (issue 14): the ledger is installed
while the widget answers and writes apply, a full load makes no collector passes, and a
server's first block does not wait for the ledger's computation.

No timings: each test holds a slow step at a gate and checks what happened while it
was held, and in which order.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import weakref
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from typing import Any, cast

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette

from tests.conftest import Clock, reopened
from widget_server.core.models import CounterRow, Member, PlacementOptions
from widget_server.core.settings import Settings
from widget_server.core.signing import Signer
from widget_server.network.services import add_theme, set_member_status
from widget_server.rotation.ledger import Base
from widget_server.serving import holder as holder_module
from widget_server.serving import indexed as indexed_module
from widget_server.serving.holder import SnapshotHolder
from widget_server.serving.indexed import Network
from widget_server.serving.snapshot import Snapshot
from widget_server.storage import NetworkData, Storage
from widget_server.storage import chunks as storage_chunks
from widget_server.storage import snapshot as storage_snapshot_module
from widget_server.web.app import create_app
from widget_server.web.gil import SWITCH_INTERVAL


async def count_views(storage: Storage, clock: Clock) -> tuple[int, int]:
    """2.5 of exposure given by the wedding theme's first member to each other one;
    (theme, that member)."""
    theme = (await storage.get_theme("hochzeit")).id
    members = sorted(m.id for m in await storage.list_members())
    day = date.fromtimestamp(clock.now)
    await storage.add_counts(
        [CounterRow(day, theme, members[0], p, "viewed", 3, 2.5) for p in members[1:]]
    )
    return theme, members[0]


async def counted_holder(storage: Storage, clock: Clock) -> tuple[SnapshotHolder, int, int]:
    """A started holder (its poller not running), then ``count_views``: (holder, theme,
    host)."""
    holder = SnapshotHolder(storage, 3600, 60, clock)
    await holder.start()
    theme, host = await count_views(storage, clock)
    return holder, theme, host


@pytest_asyncio.fixture
async def quiet_app(
    settings: Settings, storage: Storage, clock: Clock, network: dict[str, int]
) -> AsyncIterator[Starlette]:
    """The app whose poller stays out of the way (its first turn is an hour away): the
    test drives the holder itself."""
    application = create_app(
        replace(settings, snapshot_interval=3600), storage=reopened(storage), clock=clock
    )
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture
async def quiet_client(quiet_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=quiet_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.mark.asyncio
async def test_while_the_app_serves_a_computing_thread_hands_the_gil_over_within_1_ms(
    settings: Settings, storage: Storage, clock: Clock, network: dict[str, int]
) -> None:
    # CPython's 5 ms let an install's worker thread keep the loop waiting that long at
    # each hand-over of the GIL, several per request.  Two apps of one process (as in
    # tests) may end in either order: the interval found is given back after the last.
    found = sys.getswitchinterval()
    sys.setswitchinterval(0.004)
    try:
        first = create_app(settings, storage=reopened(storage), clock=clock)
        second = create_app(settings, storage=reopened(storage), clock=clock)
        one = first.router.lifespan_context(first)
        two = second.router.lifespan_context(second)
        await one.__aenter__()
        assert sys.getswitchinterval() == SWITCH_INTERVAL == 0.001
        await two.__aenter__()
        await one.__aexit__(None, None, None)
        assert sys.getswitchinterval() == 0.001  # the second still serves
        await two.__aexit__(None, None, None)
        assert sys.getswitchinterval() == 0.004
    finally:
        sys.setswitchinterval(found)


@pytest.mark.asyncio
async def test_a_slow_ledger_install_blocks_neither_the_widget_nor_a_write(
    storage: Storage,
    network: dict[str, int],
    quiet_app: Starlette,
    quiet_client: httpx.AsyncClient,
    signer: Signer,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    holder: SnapshotHolder = quiet_app.state.runtime.snapshots
    theme, host = await count_views(storage, clock)
    events: list[str] = []
    started, release = threading.Event(), threading.Event()
    with_ledger = Snapshot.with_ledger

    def held(self: Snapshot, *args: Any, **kwargs: Any) -> Snapshot:
        # The new balances, made in a worker thread, held until the test lets them go.
        events.append("install started")
        started.set()
        release.wait(timeout=30)
        events.append("install finished")
        return with_ledger(self, *args, **kwargs)

    monkeypatch.setattr(Snapshot, "with_ledger", held)
    installing = asyncio.create_task(holder.refresh_ledger())
    await asyncio.to_thread(started.wait, 30)

    response = await quiet_client.get(f"/w/{signer.embed_token(network['blumen'])}")
    assert response.status_code == 200
    events.append("widget answered")
    # A write made meanwhile is applied at once: the install does not hold the snapshot.
    await set_member_status(storage, "catering", "paused")
    assert await holder.refresh()
    catering = (await storage.get_member("catering")).id
    assert not holder.current.pools[theme].members[catering].eligible
    events.append("write applied")

    release.set()
    await installing
    assert events == ["install started", "widget answered", "write applied", "install finished"]
    # The installed snapshot has both: the write made during the install, and the ledger.
    pool = holder.current.pools[theme]
    assert not pool.members[catering].eligible
    assert pool.balances[host].given == pytest.approx(2.5 * (len(network) - 1))
    assert holder.current.version == await storage.data_version()


@pytest.mark.asyncio
async def test_an_install_keeps_the_pools_no_write_touched_and_the_directory_lists(
    storage: Storage, network: dict[str, int], clock: Clock
) -> None:
    holder, theme, host = await counted_holder(storage, clock)
    listed = holder.current.active_members[theme]
    before = holder.current.pools[theme]
    await holder.refresh_ledger()
    after = holder.current.pools[theme]
    assert after is not before  # new balances
    assert after.members == before.members
    assert after.balances[host].given == pytest.approx(2.5 * (len(network) - 1))
    assert holder.current.active_members[theme] is listed  # eligibility did not change


@pytest.mark.asyncio
async def test_a_full_load_makes_no_collector_passes_and_a_serving_holder_freezes_it(
    storage: Storage, network: dict[str, int], clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    index = Network.of

    def watched(data: NetworkData) -> Network:
        if data.members or data.records:  # not the empty snapshot a holder starts with
            seen.append(gc.isenabled())
        return index(data)

    monkeypatch.setattr(indexed_module.Network, "of", watched)
    assert gc.isenabled()
    holder = SnapshotHolder(storage, 3600, 60, clock)
    await holder.start()
    assert seen == [False]  # the network's objects were made with the collector off
    assert gc.isenabled()  # and it is back on after
    assert gc.get_freeze_count() == 0  # not serving yet: nothing frozen

    stop = asyncio.Event()
    running = asyncio.create_task(holder.run(stop))
    await asyncio.sleep(0)  # run() starts: it freezes what was loaded
    frozen = gc.get_freeze_count()
    stop.set()
    await running
    assert frozen > 0
    assert gc.get_freeze_count() == 0  # run() unfreezes when the process stops serving


@pytest.mark.asyncio
async def test_a_serving_start_freezes_the_loaded_network_before_the_collector_is_back_on(
    storage: Storage, network: dict[str, int], clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Frozen only at run()'s start, the load's million objects were the young generation
    # the first allocation after the load collected: a 110 ms pass on the event loop,
    # then a 64 ms one of the next generation (100,000 members).
    enabled: list[bool] = []
    freeze = gc.freeze

    def watched() -> None:
        enabled.append(gc.isenabled())
        freeze()

    monkeypatch.setattr(holder_module.gc, "freeze", watched)
    holder = SnapshotHolder(storage, 3600, 60, clock)
    try:
        await holder.start(serving=True)
        assert enabled and enabled[0] is False  # frozen while the collector was still off
        member = next(iter(holder.current.members.records.values()))
        assert all(o is not member for o in gc.get_objects())  # in no generation: frozen
    finally:
        gc.unfreeze()


@pytest.mark.asyncio
async def test_a_full_reload_lets_go_of_the_load_and_the_replaced_network_in_a_worker_thread(
    storage: Storage, network: dict[str, int], clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Dropped on the event loop, the rows of a load and the snapshot a reload replaces
    # were freed there in one piece (30-300 ms at 100,000 members).
    from widget_server.serving import release

    holder = SnapshotHolder(storage, 3600, 60, clock)
    await holder.start()
    loop_thread = threading.get_ident()
    old_members = list(holder.current.members.records.values())  # what the network holds
    old_pool = holder.current.pools[(await storage.get_theme("hochzeit")).id]
    freed: list[tuple[bool, list[object]]] = []
    let_go = release.release

    def watched(objects: list[object]) -> None:
        freed.append((threading.get_ident() == loop_thread, list(objects)))
        let_go(objects)

    monkeypatch.setattr(release, "release", watched)
    holder.reload_in_background()
    await holder.reloaded()
    assert freed and not any(on_loop for on_loop, _ in freed)
    # The load's rows (a membership's and a placement's: the network keeps columns of
    # them, not the rows) ...
    rows = [o for _, objects in freed for o in objects]
    network = holder.current.network
    memberships = sum(len(members) for members in network.memberships.values())
    assert memberships > 0 and len(network.placements) > 0
    assert sum(isinstance(o, tuple) and isinstance(o[-1], float) for o in rows) == memberships
    assert sum(isinstance(o, tuple) and isinstance(o[-1], PlacementOptions) for o in rows) == len(
        network.placements
    )
    # ... and every member and built pool of the replaced snapshot.
    assert all(any(o is m for o in rows) for m in old_members)
    assert any(o is old_pool for o in rows)
    assert holder.current.members.keys() == {m.id for m in old_members}
    assert all(holder.current.members.record(m.id) is not m for m in old_members)  # all new


class HeldLedger:
    """A real storage whose ledger computation waits at a gate (its first read)."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.computations = 0
        self.gate = asyncio.Event()

    async def ledger_bases(self) -> dict[int, Base]:
        self.computations += 1
        # Bounded, so a start that waited for the computation fails instead of hanging.
        await asyncio.wait_for(self.gate.wait(), 30)
        return await self.inner.ledger_bases()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.mark.asyncio
async def test_the_first_block_does_not_wait_for_the_ledger_computation(
    settings: Settings, storage: Storage, network: dict[str, int], signer: Signer, clock: Clock
) -> None:
    # A restart: a ledger was stored an interval and more ago, views were counted since.
    earlier = SnapshotHolder(storage, 3600, 60, clock)
    await earlier.start()
    assert await storage.ledger_version() == 1
    clock.advance(120)
    theme, host = await count_views(storage, clock)
    held = HeldLedger(reopened(storage))
    application = create_app(
        replace(settings, snapshot_interval=3600), storage=cast(Storage, held), clock=clock
    )
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.get(f"/w/{signer.embed_token(network['blumen'])}")
        assert response.status_code == 200
        assert held.computations == 0  # started and served: no computation yet
        assert await storage.ledger_version() == 1  # the stale one, installed

        holder: SnapshotHolder = application.state.runtime.snapshots
        computing = asyncio.create_task(holder.refresh_ledger(force=False))  # the first poll
        held.gate.set()
        await computing
        assert held.computations == 1
        assert await storage.ledger_version() == 2
        given = holder.current.pools[theme].balances[host].given
        assert given == pytest.approx(2.5 * (len(network) - 1))


@pytest.mark.asyncio
async def test_a_large_change_is_applied_in_a_worker_thread_with_the_pools_in_use_built(
    storage: Storage, network: dict[str, int], clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A few members stand for a bulk import's thousands: past both thresholds.
    monkeypatch.setattr(holder_module, "PART_ON_LOOP", 2)
    monkeypatch.setattr(storage_snapshot_module, "ROWS_ON_LOOP", 2)
    holder = SnapshotHolder(storage, 3600, 60, clock)
    await holder.start()
    theme = (await storage.get_theme("hochzeit")).id
    await add_theme(storage, slug="markt", name_de="Markt")
    await holder.refresh()
    markt = (await storage.get_theme("markt")).id
    in_use = holder.current.pools[theme]  # built: a request asked for it
    assert not holder.current.pools.is_built(markt)
    loop_thread = threading.get_ident()
    threads: list[bool] = []
    changed = Network.changed

    def watched(self: Network, *args: Any) -> Any:
        threads.append(threading.get_ident() == loop_thread)
        return changed(self, *args)

    monkeypatch.setattr(indexed_module.Network, "changed", watched)
    new = [
        (Member(0, f"neu-{n}", f"Neu {n}", f"https://neu-{n}.example/", status="active"), [theme])
        for n in range(4)
    ]
    await storage.import_members(new)
    built = holder.stats.pools_built
    assert await holder.refresh()
    assert threads == [False]  # applied off the event loop's thread
    assert holder.current.pools.is_built(theme)  # swapped in built, not left to a request
    assert holder.stats.pools_built - built == 1  # only the theme in use, not markt
    assert not holder.current.pools.is_built(markt)
    pool = holder.current.pools[theme]
    assert pool is not in_use
    assert {f"neu-{n}" for n in range(4)} <= set(pool.ids_by_slug)
    # What the worker built is what a full load builds.
    fresh = SnapshotHolder(storage, 3600, 60, clock)
    await fresh.start()
    assert fresh.current.pools[theme] == pool


@pytest.mark.asyncio
async def test_the_new_pool_of_a_large_theme_in_use_is_built_before_the_swap(
    storage: Storage, network: dict[str, int], clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(holder_module, "POOL_ON_LOOP", 2)  # the wedding theme counts as large
    holder = SnapshotHolder(storage, 3600, 60, clock)
    await holder.start()
    theme = (await storage.get_theme("hochzeit")).id
    before = holder.current.pools[theme]  # in use
    built = holder.stats.pools_built
    await set_member_status(storage, "catering", "paused")
    assert await holder.refresh()
    assert holder.current.pools.is_built(theme)  # no request has to build it
    assert holder.stats.pools_built - built == 1
    pool = holder.current.pools[theme]
    assert pool is not before
    assert not pool.members[(await storage.get_member("catering")).id].eligible


@pytest.mark.asyncio
async def test_the_ledger_job_frees_what_it_read_and_made_in_a_worker_thread(
    storage: Storage, network: dict[str, int], clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Dropped on the event loop, a computation's reads and figures (a membership each,
    # several times over) were freed there in one piece: 70-100 ms at 100,000 members.
    from widget_server.storage import ledger as storage_ledger

    holder = SnapshotHolder(storage, 3600, 60, clock)
    await holder.start()
    for _ in range(3):  # counts on three days: the bases have closed days to roll
        await count_views(storage, clock)
        await holder.refresh_ledger()
        clock.advance(86_400)
    loop_thread = threading.get_ident()
    freed_on: list[str] = []  # for each base read or stored: where it was freed

    def watch(objects: Any) -> None:
        for obj in objects:
            weakref.finalize(
                obj, lambda: freed_on.append(_where(threading.get_ident() == loop_thread))
            )

    read_bases = storage.ledger_bases

    async def watched_read() -> dict[int, Base]:
        bases = await read_bases()
        watch(bases.values())
        return bases

    compute = holder_module.compute_ledger_update

    async def watched_compute(*args: Any, **kwargs: Any) -> Any:
        update = await compute(*args, **kwargs)
        watch(update.bases.values())
        return update

    read: list[list[Any]] = []  # the rows of each large read
    rows_freed: list[tuple[str, int]] = []  # lists let go of: where, which
    fetch, let_go = storage_ledger.fetch_in_chunks, storage_ledger.release

    async def watched_fetch(*args: Any, **kwargs: Any) -> list[Any]:
        rows = await fetch(*args, **kwargs)
        read.append(rows)
        return rows

    def watched_release(objects: list[Any]) -> None:
        rows_freed.append((_where(threading.get_ident() == loop_thread), id(objects)))
        let_go(objects)

    monkeypatch.setattr(storage, "ledger_bases", watched_read)
    monkeypatch.setattr(holder_module, "compute_ledger_update", watched_compute)
    monkeypatch.setattr(storage_ledger, "release", watched_release)
    monkeypatch.setattr(storage_chunks, "release", watched_release)  # the reads' let_go
    monkeypatch.setattr(storage_ledger, "fetch_in_chunks", watched_fetch)
    await count_views(storage, clock)
    await holder.refresh_ledger()  # the day's first computation: every base rolls
    themes = len(await storage.list_themes())
    # Every base read and every base stored was freed, none of them on the event loop.
    assert len(freed_on) == 2 * themes
    assert set(freed_on) == {"worker thread"}
    # The rows of every large read (the bases, each day's sums, the last-served days)
    # were let go of in a worker thread too.
    assert len(read) >= 4 and sum(map(len, read)) == 0  # emptied, all of them
    assert {(where, which) for where, which in rows_freed} >= {
        ("worker thread", id(rows)) for rows in read
    }
    assert "event loop" not in {where for where, _ in rows_freed}


class _Kept:
    """A value kept in the render cache, whose freeing a test can watch."""


@pytest.mark.asyncio
async def test_a_ledger_install_frees_what_it_replaced_in_a_worker_thread(
    storage: Storage, network: dict[str, int], clock: Clock
) -> None:
    # The day's first install changes every theme: freeing the render cache's entries,
    # the replaced pools and ledgers and the old snapshot's kept answers where they
    # were dropped held the event loop 60-100 ms at 100,000 members.
    holder, theme, _ = await counted_holder(storage, clock)
    await holder.refresh_ledger()
    clock.advance(60)
    await count_views(storage, clock)  # the theme's figures change again
    loop_thread = threading.get_ident()
    freed_on: dict[str, str] = {}

    def watch(name: str, obj: Any) -> None:
        weakref.finalize(
            obj, lambda: freed_on.setdefault(name, _where(threading.get_ident() == loop_thread))
        )

    snapshot = holder.current
    watch("the theme's pool", snapshot.pools[theme])
    watch("the theme's ledger", holder._ledger[theme])
    watch("a cache entry of the theme", snapshot.remember(theme, ("test", 1), _Kept()))
    kept = _Kept()
    snapshot.cache.keep_ready(("test", 2), kept)
    watch("a kept answer", kept)
    del snapshot, kept
    await holder.refresh_ledger()
    assert freed_on == dict.fromkeys(
        ["the theme's pool", "the theme's ledger", "a cache entry of the theme", "a kept answer"],
        "worker thread",
    )


def _where(on_loop: bool) -> str:
    return "event loop" if on_loop else "worker thread"
