"""What a ledger install keeps of a large theme's work.  Its keyed orders of the day:
a new shared part over the same candidates walks the orders already made
(``ThemePool.kept_orders``), a part over other candidates makes its own, and a pool
sent to another process (the simulator's workers) or copied takes none along.  And
its pool, where a write rebuilt it during the install: given the new balances in a
worker thread, not dropped for a request to build on the event loop."""

from __future__ import annotations

import asyncio
import copy
import pickle
import threading
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from tests.conftest import Clock
from tests.test_selection_shared import KEY, NOW, make_pool
from tests.test_snapshot_stalls import counted_holder
from widget_server.core.models import CounterRow
from widget_server.network.services import set_member_status
from widget_server.rotation.shared import shared_plan
from widget_server.serving import blocks
from widget_server.serving import holder as holder_module
from widget_server.serving.holder import SnapshotHolder
from widget_server.serving.snapshot import Snapshot
from widget_server.storage import Storage

DAY = 86_400


def test_new_balances_walk_the_orders_made_and_new_candidates_make_their_own() -> None:
    infos = [("", "Heide", "25746", True, 30.0, None)] * 8
    pool = make_pool(infos, {"strategy": "fair-exchange"})
    day = int(NOW // DAY)
    orders = shared_plan(pool, pool.rules, NOW, NOW).orders(KEY, day)
    orders.prepare()
    rebalanced = replace(pool, balances={})  # what a ledger install makes of a pool
    again = shared_plan(rebalanced, rebalanced.rules, NOW, NOW)
    assert again.orders(KEY, day) is orders
    assert again.orders(KEY, day + 1) is not orders  # another day: its own
    fewer = replace(pool, members={m: i for m, i in pool.members.items() if m != 3})
    other = shared_plan(fewer, fewer.rules, NOW, NOW).orders(KEY, day)
    assert other is not orders and 3 not in other.ids and 3 in orders.ids
    # Sent to a worker process or copied, a pool takes no orders along (a walk's guide
    # holds a view of its order, which does not pickle).
    for moved in (pickle.loads(pickle.dumps(pool)), copy.deepcopy(pool)):
        assert moved.kept_orders == {} and moved == pool


@pytest.mark.asyncio
async def test_a_ledger_install_keeps_the_themes_orders_of_the_day(
    storage: Storage, network: dict[str, int], clock: Clock
) -> None:
    holder = SnapshotHolder(storage, 0.2, 60.0, clock)
    await holder.start()  # not running: nothing to stop
    theme = (await storage.get_theme("hochzeit")).id
    before = holder.current
    pool = before.pools[theme]
    rules = pool.rules.at(clock.now)
    part = blocks.shared_part(before, pool, rules, clock.now)
    assert part is not None
    orders = part.orders(KEY, int(clock.now // DAY))
    host = min(pool.members)
    today = date.fromtimestamp(clock.now)
    await storage.add_counts([CounterRow(today, theme, host, host + 1, "viewed", 1, 1.0)])
    await holder.refresh_ledger()
    after = holder.current
    assert after.pools[theme] is not pool  # new balances
    fresh = after.pools[theme]
    again = blocks.shared_part(after, fresh, fresh.rules.at(clock.now), clock.now)
    assert again is not None and again is not part  # the install dropped the part
    assert again.orders(KEY, int(clock.now // DAY)) is orders


@pytest.mark.asyncio
async def test_a_large_pool_a_write_rebuilt_during_an_install_takes_the_ledger_beside_the_loop(
    storage: Storage, network: dict[str, int], clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write applied while the ledger is computed rebuilds the theme's pool; the install
    gives that pool its new balances in a worker thread, so it is built when swapped in
    (before, it was dropped, and the next request built it on the loop: 60 ms at
    10,000 members)."""
    monkeypatch.setattr(holder_module, "POOL_ON_LOOP", 2)  # the wedding theme counts as large
    holder, theme, host = await counted_holder(storage, clock)
    started, release = threading.Event(), threading.Event()
    with_ledger = Snapshot.with_ledger

    def held(self: Snapshot, *args: Any, **kwargs: Any) -> Snapshot:
        started.set()
        release.wait(timeout=30)
        return with_ledger(self, *args, **kwargs)

    monkeypatch.setattr(Snapshot, "with_ledger", held)
    installing = asyncio.create_task(holder.refresh_ledger())
    await asyncio.to_thread(started.wait, 30)
    await set_member_status(storage, "catering", "paused")
    assert await holder.refresh()
    rebuilt = holder.current.pools[theme]  # built by the write, with the old ledger
    threads: list[str] = []
    made = holder_module.with_ledger

    def watched(*args: Any) -> Any:
        threads.append(threading.current_thread().name)
        return made(*args)

    monkeypatch.setattr(holder_module, "with_ledger", watched)
    release.set()
    await installing
    assert holder.current.pools.is_built(theme)  # no request has to build it
    pool = holder.current.pools[theme]
    assert pool is not rebuilt and pool.members == rebuilt.members
    assert not pool.members[(await storage.get_member("catering")).id].eligible
    assert pool.balances[host].given == pytest.approx(2.5 * (len(network) - 1))
    assert threads and threading.main_thread().name not in threads
