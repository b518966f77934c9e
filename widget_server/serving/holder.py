"""The holder of the current snapshot: keeps it in step with the storage
(the snapshot itself: serving/snapshot.py):

* **Changes.**  Every network write logs what it changed (a member, a theme,
  a placement) under the new data version (``Storage.changes_since``).  The
  holder reads what the log names since its version, builds a new
  :class:`Network` sharing everything else, and drops only the pools of the
  themes concerned.  At once after a write made through this process
  (``refresh()``, so the writer sees its own write), and every ``interval``
  seconds for writes made by other processes (the CLI, other workers).
* **Full reloads.**  At start, and when the log cannot say what changed (a
  large import, a process further behind than the log reaches), the whole
  network is read; the rows become models in a worker thread, and the result is
  swapped in when complete.  Until then the previous snapshot keeps serving,
  and changes logged meanwhile are applied on top of the new one before it is
  installed.
* **The ledger.**  Every ``ledger_interval`` seconds one process (whichever
  asks first; the storage makes sure only one does) brings the per-theme ledger
  in the database up to date (``serving/ledger.py``); every process installs
  the themes that changed at its next poll, replacing the balances of their
  built pools only (``Snapshot.with_ledger``); nothing else is rebuilt.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
import logging
import math
import time
from collections.abc import Awaitable, Callable, Collection, Mapping

from widget_server.core.stopping import stopped
from widget_server.network import categories
from widget_server.rotation import ThemePool
from widget_server.rotation.ledger import (
    ThemeLedger,
)
from widget_server.serving import collector, release
from widget_server.serving.cache import DEFAULT_BYTES, DEFAULT_SIZE, RenderCache
from widget_server.serving.indexed import Network
from widget_server.serving.ledger import compute_ledger_update
from widget_server.serving.ledger_install import read_themes, rebase, replaced_objects
from widget_server.serving.ledger_process import LARGE
from widget_server.serving.snapshot import (
    LedgerState,
    Snapshot,
    SnapshotStats,
    build_pool,
    with_ledger,
)
from widget_server.storage import NetworkData, Storage
from widget_server.storage.records import LedgerUpdate

# The holder's log lines keep the name they always had (operators filter on it).
log = logging.getLogger("widget_server.serving.snapshot")

PART_ON_LOOP = 200  # members and placements of a change applied on the event loop
POOL_ON_LOOP = 500  # memberships of a changed theme whose pool the next request may build
WARM_SLICE = 0.005  # seconds of CPU the pool warm-up takes before it lets requests in


def _memberships(network: Network) -> int:
    """How many memberships ``network`` has (a count per theme, summed)."""
    return sum(len(members) for members in network.memberships.values())


def _snapshot_objects(snapshot: Snapshot) -> list[object]:
    """The objects of a snapshot replaced by a full load, to free in slices
    (``release.held``): its network's, its pools and directory lists, its ready answers."""
    return release.held(
        [
            *release.network_parts(snapshot.network),
            snapshot.pools.built,
            snapshot.active_members.built,
            snapshot.cache.ready,
        ]
    )


def _give_back_memory() -> None:
    """Hand the memory a full reload freed back to the system (glibc keeps it otherwise:
    some 10 MB at 100,000 members); a no-op where there is no ``malloc_trim``."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)


class SnapshotHolder:
    """Holds the current snapshot and keeps it in step with the storage."""

    def __init__(
        self,
        storage: Storage,
        interval: float,
        ledger_interval: float,
        clock: Callable[[], float] = time.time,
        cache_size: int = DEFAULT_SIZE,
        cache_bytes: int = DEFAULT_BYTES,
    ) -> None:
        self._storage = storage
        self._cache_size = cache_size
        self._cache_bytes = cache_bytes
        self._interval = interval
        self._ledger_interval = ledger_interval
        self._clock = clock
        self._lock = asyncio.Lock()  # one install at a time
        self._ledger_lock = asyncio.Lock()  # one ledger computation at a time
        self._install_lock = asyncio.Lock()  # one ledger install at a time
        self._ledger: dict[int, ThemeLedger] = {}  # theme -> its installed ledger
        self._ledger_version = 0
        self._ledger_checked = -math.inf  # time.monotonic() of the last turn at computing it
        self._ledger_computed_at = -math.inf  # when the installed ledger was computed
        self._full: asyncio.Task[None] | None = None  # a full reload in the background
        self._running = False  # run() is polling: the process serves this holder
        # What warm() makes of a theme beyond its pool (the serving layer's shared plan
        # part and orders of the day: serving.blocks.prepare_theme).
        # It returns what is left to make beside the loop (a large theme's orders), if any.
        self.ahead: Callable[[Snapshot, int], Callable[[], None] | None] | None = None
        # How a serving process runs the ledger computation of a large network: in a
        # child process (serving/ledger_process.py), given ``now`` and ``stale_before``.
        self.compute_elsewhere: Callable[[float, float], Awaitable[None]] | None = None
        self.stats = SnapshotStats()
        self.current = Snapshot.empty()
        # Set when the warm-up of the start (``run()``) has built every pool: what can
        # wait until then (compiling the pages' templates) starts after it.
        self.warmed = asyncio.Event()

    async def refresh(self) -> bool:
        """Bring the snapshot up to the storage's data version; True when a new one was
        installed.

        What the change log names is read and swapped in (a few small queries).
        When the log cannot say what changed, a full reload starts in the
        background and this returns at once: the current snapshot serves until
        the new one is complete.
        """
        async with self._lock:
            return await self._catch_up(self.current)

    async def _catch_up(self, base: Snapshot) -> bool:
        """Install ``base`` plus the changes logged since its version (under the lock)."""
        changes = await self._storage.changes_since(base.version)
        if changes.version == base.version:
            if base is not self.current:
                self.current = base
                return True
            return False
        if not changes.complete:
            self.reload_in_background()
            if base is not self.current:
                self.current = base
                return True
            return False
        part = await self._storage.load_network_part(
            changes.members, changes.themes, changes.placements
        )
        known = categories.all_labels()
        if any(m.category and m.category not in known for m in part.members):
            # a category added (by any process) since this process read them: its labels
            await categories.load(self._storage)
        now = self._clock()
        ready: dict[int, ThemePool] = {}
        if len(part.members) + len(part.placements) > PART_ON_LOOP:
            # A bulk import's thousands of members: the new mappings, and the pools of
            # the themes it changed that were in use, are made in a worker thread (the
            # base network is never changed, so this is safe meanwhile); the event loop
            # only swaps them in, no request builds a pool of a thousand members.
            def apply() -> tuple[Network, Collection[int], dict[int, ThemePool]]:
                network, affected = base.network.changed(part, changes)
                in_use = [t for t in affected if base.pools.is_built(t) and t in network.themes]
                return (
                    network,
                    affected,
                    {t: build_pool(network, base.ledger, t, now) for t in in_use},
                )

            network, affected, ready = await asyncio.to_thread(apply)
        else:
            network, affected = base.network.changed(part, changes)
            # A theme of thousands of members whose pool is in use: its new pool is built
            # in a worker thread too (tens of ms), not by the next request on the loop.
            large = [
                t
                for t in affected
                if base.pools.is_built(t) and len(network.memberships.get(t, ())) > POOL_ON_LOOP
            ]
            if large:
                ready = await asyncio.to_thread(
                    lambda: {t: build_pool(network, base.ledger, t, now) for t in large}
                )
        self.current = Snapshot.of(
            network,
            base.ledger,
            now,
            previous=base,
            dropped=affected,
            stats=self.stats,
        )
        self.current.pools.built.update(ready)
        self.stats.pools_built += len(ready)
        self.stats.partial_loads += 1
        log.debug(
            "snapshot updated",
            extra={"version": network.version, "themes": len(affected)},
        )
        return True

    def reload_in_background(self) -> None:
        """Start a full reload unless one is running; the current snapshot serves meanwhile."""
        if self._full is None or self._full.done():
            self._full = asyncio.create_task(self._reload(), name="snapshot-reload")

    async def reloaded(self) -> None:
        """Wait for the full reload in progress, if any (tests, shutdown)."""
        if self._full is not None:
            await asyncio.shield(self._full)

    async def _reload(self) -> None:
        try:
            await self._load_all()
        except Exception:
            # Keep serving the last good snapshot; the next poll tries again.
            log.exception("snapshot reload failed")
            return
        await self.warm()

    async def warm(self, slice_seconds: float = WARM_SLICE) -> int:
        """Build every theme's pool the current snapshot has not built yet, on the event
        loop in slices of ``slice_seconds`` (a request waits at most one slice and one
        small pool: a theme of more than ``POOL_ON_LOOP`` memberships has its pool, its
        orders of the day and its guides made in a worker thread); how many were built.

        Pools are built on a theme's first request otherwise: at 100,000 members about
        1.5 ms each, which would make the first minutes after a start or a full reload
        cost several times a warm server's CPU per request.  A snapshot swapped in
        meanwhile keeps the pools still right; the walk goes on with it.
        """
        built = 0
        # The loop thread's own CPU: a worker thread's work (a reload, the ledger) is
        # not time this walk keeps requests waiting.
        deadline = time.thread_time() + slice_seconds
        for theme_id in list(self.current.themes):
            pools = self.current.pools
            if theme_id in pools and not pools.is_built(theme_id):
                if len(self.current.network.memberships.get(theme_id, ())) > POOL_ON_LOOP:
                    # A large theme's pool beside the loop (10,000 members: 60 ms of it).
                    made = await asyncio.to_thread(pools.make, theme_id)
                    pools.built.setdefault(theme_id, made)
                else:
                    pools[theme_id]
                built += 1
                if self.ahead is not None:
                    try:
                        rest = self.ahead(self.current, theme_id)
                        if rest is not None:
                            await asyncio.to_thread(rest)
                    except Exception:
                        log.exception("theme not prepared ahead", extra={"theme_id": theme_id})
            if time.thread_time() >= deadline:
                self._freeze()
                await asyncio.sleep(0)
                deadline = time.thread_time() + slice_seconds
        if built:
            log.info("pools built ahead", extra={"pools": built})
        self._freeze()
        self.warmed.set()
        return built

    @property
    def serving(self) -> bool:
        """The process serves from this holder (``run()``, or ``start(serving=True)``)."""
        return self._running

    def _freeze(self) -> None:
        """Move what the process holds now out of the cyclic collector's way, while it
        serves (``run()`` unfreezes when it ends).

        The snapshot lives as long as the process serves it; a full pass of the
        collector over its millions of objects takes 0.3-1 s of CPU at 100,000 members,
        on whichever thread allocates (the event loop's, or a worker holding the GIL
        meanwhile), and otherwise costs the hot path about a sixth of its CPU.  Frozen
        objects still go when their references do.  Called after a full load and after
        each slice of the warm-up, so no full pass ever walks the network.
        """
        if self._running:
            gc.freeze()

    async def _load_all(self) -> None:
        # The reads and the indexing run off the event loop (a worker thread and the
        # database driver); only the swap takes the lock.  The load's rows and the
        # replaced snapshot are let go in a worker thread (serving/release.py), not
        # freed in one piece where the event loop drops them.
        with collector.paused(freeze=self._running):
            box = [await self._storage.load_network(compact=True)]
            await categories.load(self._storage)  # their labels, before blocks are built
            network = await asyncio.to_thread(release.index, box)
            async with self._lock:
                replaced = self.current
                now = self._clock()
                ledger = LedgerState(themes=self._ledger)
                base = Snapshot.of(
                    network,
                    ledger,
                    now,
                    stats=self.stats,
                    cache=RenderCache(self._cache_size, self._cache_bytes),
                )
                self.stats.full_loads += 1
                await self._catch_up(base)
                log.info("snapshot loaded", extra={"version": self.current.version})
            objects = await asyncio.to_thread(_snapshot_objects, replaced)
            del network, base, replaced  # frees its containers only: `objects` holds the rest
        await asyncio.to_thread(release.release, objects)
        await asyncio.to_thread(_give_back_memory)

    async def refresh_ledger(self, *, force: bool = True) -> None:
        """Bring the deployment's ledger up to date in the database, and install it.

        Without ``force`` only when the stored ledger is older than the ledger
        interval.  While another process is computing, the stored ledger is
        installed and the new one follows at a later poll.
        """
        # The computation holds only the ledger's own lock: writes keep applying their
        # changes meanwhile (they wait for no ledger).
        async with self._ledger_lock:
            now = self._clock()
            stale_before = math.inf if force else now - self._ledger_interval
            elsewhere = self.compute_elsewhere
            if elsewhere is not None and _memberships(self.current.network) >= LARGE:
                try:
                    # A child only when it would compute: another process's fresh
                    # ledger, or its computation under way, costs no process start.
                    if await self._storage.ledger_due(stale_before=stale_before, now=now):
                        await elsewhere(now, stale_before)
                finally:
                    # A failed child is tried again an interval later, not at every poll.
                    self._ledger_checked = time.monotonic()
            else:
                data = self._network_data()

                async def compute() -> LedgerUpdate:
                    return await compute_ledger_update(self._storage, now, data, self._ledger)

                await self._storage.publish_ledger(compute, stale_before=stale_before, now=now)
                self._ledger_checked = time.monotonic()
            await self._install_ledger()

    def _network_data(self) -> NetworkData:
        """What the ledger computation reads of the network: its themes and rule sets."""
        network = self.current.network
        return NetworkData(
            network.version,
            tuple(network.themes.values()),
            (),
            (),
            (),
            tuple(network.rule_sets.values()),
        )

    async def poll_ledger(self) -> bool:
        """Install the ledger another process stored; True when a new one was installed."""
        if await self._storage.ledger_version() == self._ledger_version:
            return False
        return await self._install_ledger()

    async def _install_ledger(self) -> bool:
        """Install the themes whose published ledger changed since the installed version.

        The reads, the parsing and the new balances are made while the snapshot keeps
        serving and taking writes (the install lock keeps only other installs out);
        the swap takes the snapshot's lock for a walk over the built pools.
        """
        async with self._install_lock:
            stored = await self._storage.get_ledger(since=self._ledger_version)
            if stored is None or stored.version == self._ledger_version:
                return False
            changed, whole = await asyncio.to_thread(read_themes, stored.themes, self._ledger)
            if whole:  # deltas after a version this process could not read: read them whole
                chains = {t: await self._storage.ledger_at(t, math.inf) for t in whole}
                found = {t: v for t, v in chains.items() if v is not None}
                changed.update((await asyncio.to_thread(read_themes, found, {}))[0])
            base = self.current
            # What the install replaces is freed in a worker thread, not on the event
            # loop: the render cache's entries of the changed themes, the replaced
            # pools and ledgers (every theme's on the day's first computation), the
            # old snapshot's ready answers and the stored documents (at 100,000
            # members some 100 ms of freeing, measured on the loop).
            freed: list[object] = []
            built = base.parts(changed, freed)
            ready = await asyncio.to_thread(base.with_ledger, changed, self._clock(), built)
            # A large theme's pool that a write rebuilt meanwhile takes its new balances
            # here too, beside the loop, not by the next request (tens of ms).
            again = await self._rebalanced(base, self.current, changed)
            async with self._lock:
                serving = self.current  # ``base``, unless writes were applied meanwhile
                self.current = rebase(ready, base, serving, changed, self._clock(), freed, again)
                replaced = self._ledger
                self._ledger = {**replaced, **changed}
                self._ledger_version = stored.version
                self._ledger_computed_at = stored.computed_at
            version, count = stored.version, len(changed)
            freed += replaced_objects((base, serving, ready), self.current, replaced, stored)
            del base, serving, built, ready, replaced, stored, changed
        await asyncio.to_thread(release.release, freed)
        log.info("ledger installed", extra={"ledger_version": version, "themes": count})
        # The computation's rows and the replaced balances are freed by now, but the
        # allocator keeps the pages (worker threads allocate in arenas of their own):
        # 35-40 MB a computation at 100,000 members, given back here.
        await asyncio.to_thread(_give_back_memory)
        return True

    async def _rebalanced(
        self, base: Snapshot, serving: Snapshot, changed: Mapping[int, ThemeLedger]
    ) -> dict[int, tuple[ThemePool, ThemePool]]:
        """For each pool of ``changed`` with more than ``POOL_ON_LOOP`` memberships that a
        write rebuilt since ``base``: (that pool, it with its theme's new ledger), made in
        a worker thread (``rebase`` takes it where the pool still serves)."""
        if serving is base:
            return {}
        before, memberships = base.pools.built, serving.network.memberships
        redo = {
            t: pool
            for t, pool in serving.pools.built.items()
            if t in changed
            and before.get(t) is not pool
            and len(memberships.get(t, ())) > POOL_ON_LOOP
        }
        if not redo:
            return {}

        def made() -> dict[int, tuple[ThemePool, ThemePool]]:
            return {
                t: (pool, with_ledger(pool, changed[t], changed[t].computed_at))
                for t, pool in redo.items()
            }

        return await asyncio.to_thread(made)

    async def start(self, *, compute_ledger: bool = True, serving: bool = False) -> None:
        """The network, and the ledger: brought up to date first (``compute_ledger``), or
        as stored, for ``run()`` to bring up to date at its first poll (a server's start:
        at 100,000 members the computation is seconds of CPU the first block need not
        wait for; until it is done the stored balances serve).

        ``serving``: ``run()`` follows (a server's start), so the loaded network is
        frozen out of the collector's way before it is turned back on.  Else its
        million objects are the young generation the next allocation collects: a
        110 ms pass on the event loop and a 64 ms one after it, at 100,000 members.
        """
        if serving:
            self._running = True
        await self._load_all()
        if compute_ledger or await self._storage.ledger_version() == 0:
            # Nothing stored yet (a new deployment: little to compute): computed now.
            await self.refresh_ledger(force=False)
            return
        await self._install_ledger()
        if self._clock() - self._ledger_computed_at < self._ledger_interval:
            self._ledger_checked = time.monotonic()  # fresh: due again an interval later

    async def run(self, stop: asyncio.Event) -> None:
        """Poll for changes by other processes, and keep the ledger fresh, until ``stop``.

        A stop waits for the poll in progress (the ledger update writes), never cuts it.
        """
        self._running = True
        self._freeze()  # the network as loaded at start, before the warm-up adds to it
        warming = asyncio.create_task(self.warm(), name="snapshot-warm")
        while not await stopped(stop, self._interval):
            try:
                await self.refresh()
                if time.monotonic() - self._ledger_checked >= self._ledger_interval:
                    await self.refresh_ledger(force=False)
                else:
                    await self.poll_ledger()
            except Exception:
                # Keep serving the last good snapshot; the next poll tries again.
                log.exception("snapshot refresh failed")
        warming.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await warming
        if self._full is not None:
            await self._full
        self._running = False
        gc.unfreeze()
