"""A theme's keyed orders of the day outlive a ledger install: a new shared part over
the same candidates walks the orders already made (``ThemePool.kept_orders``), a
part over other candidates makes its own, and a pool sent to another process (the
simulator's workers) or copied takes none along."""

from __future__ import annotations

import copy
import pickle
from dataclasses import replace
from datetime import date

import pytest

from tests.conftest import Clock
from tests.test_selection_shared import KEY, NOW, make_pool
from widget_server.core.models import CounterRow
from widget_server.rotation.shared import shared_plan
from widget_server.serving import blocks
from widget_server.serving.holder import SnapshotHolder
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
