"""A first sight's slots in one pass: the quick plan and its draw, fused.

``draw(plan(...), bucket, key)`` for a host that takes the quick path
(``pipeline._quick_plan``) builds a ``Plan`` with its ``Tier``, a ``Scaled``
view of the probabilities, a ``Without`` view of the weights and a
``HostOrder``, only for ``draw`` to read three numbers back out of them (the
host's place, the scale, the day's orders) and hash the same keyed messages.
``fused_slots`` goes from the theme's shared part to the slots directly: the
same checks as ``_quick_plan`` (``quick_case``, one predicate for both), the
same scale (``quick.quick_scale``), the same two keyed hashes as
``pipeline._draw_tier`` and the same walk (``quick.take_places``), so the same
slots to the bit, without the objects in between.  It serves the hot path
(``serving.blocks.select_slots``); everything that needs a ``Plan`` (explain,
the simulator, the general path) still makes one.
"""

from __future__ import annotations

from array import array

from widget_server.rotation.keyed import keyed_hash_and_unit
from widget_server.rotation.plans import Slot
from widget_server.rotation.pool import MemberInfo, ThemePool
from widget_server.rotation.quick import host_place, owed_first, quick_scale, take_places
from widget_server.rotation.rules import Rules
from widget_server.rotation.shared import SharedPlan
from widget_server.rotation.strategies import DailyOrders, walk_point

DAY = 86_400


def host_info(pool: ThemePool, host_id: int) -> MemberInfo:
    """The host as selection sees it; a host outside the theme excludes nobody."""
    return pool.members.get(host_id) or MemberInfo(host_id, f"#{host_id}")


def quick_case(pool: ThemePool, shared: SharedPlan, rules: Rules, host_id: int) -> bool:
    """Whether the host's plan under ``rules`` can be the quick one as far as its rules
    go: a weighted or fair-exchange theme with no pins, regions, one per category or
    members whose schedule or activity is decided per plan, and a host that excludes
    only itself (no category of its own excluded, no blocklist, in no excluded pair).
    Whether the cap binds is ``quick_scale``'s to say."""
    if (
        rules.strategy not in ("weighted", "fair-exchange")
        or shared.recheck
        or rules.pins
        or rules.one_per_category
        or rules.region.mode != "off"
    ):
        return False
    # The host itself is looked at only by rules that exclude per host.
    if rules.exclude_same_category or rules.blocklists or rules.exclude_pairs:
        host = host_info(pool, host_id)
        if (
            (rules.exclude_same_category and host.category)
            or host.slug in rules.blocklists
            or (rules.exclude_pairs and any(host.slug in pair for pair in rules.exclude_pairs))
        ):
            return False
    return True


def fused_slots(
    pool: ThemePool,
    shared: SharedPlan,
    rules: Rules,
    host_id: int,
    moment: float,
    bucket: int,
    key: bytes,
    *,
    limit: int,
) -> tuple[Slot, ...] | None:
    """``draw(plan(pool, host_id, moment, key, limit=limit, shared=shared), bucket, key)``
    when that plan is the quick one, else None (the caller goes the general way).
    ``rules`` is ``pool.rules.at(moment)``, the rules ``shared`` was made for.

    Step by step what the quick plan and its draw do: the limit is the placement's
    and the rules' smaller one, the scale that of the weights without the host's,
    the walk one of the day's orders from a keyed point per host and bucket (tier 0),
    fair exchange puts the heaviest first (ties by the first order), and a block
    short of the rules' minimum is empty.
    """
    if not shared.covers(rules, moment) or not quick_case(pool, shared, rules, host_id):
        return None
    limit = min(limit, rules.max_partners)
    need = max(limit, 0)  # the plan's free positions, 1..limit
    at = host_place(shared.candidates, host_id)
    values = shared.values()
    take = min(need, len(values) - (at >= 0))
    scale = quick_scale(values, at, take, rules.max_share, shared.extremes())
    if scale is None:
        return None
    # From here on at least one candidate besides the host has a share (take >= 1),
    # so the tier's order is not empty and the draw walks it.
    orders = shared.orders(key, int(moment // DAY))
    chosen = drawn_places(
        orders, values, scale, at, rules.strategy, pool.theme_id, host_id, bucket, key, need
    )
    if len(chosen) < min(rules.min_partners, limit):
        return ()
    ids = orders.ids
    return tuple([Slot(ids[j], n) for n, j in enumerate(chosen, start=1)])


def drawn_places(
    orders: DailyOrders,
    values: array[float],
    scale: float,
    at: int,
    strategy: str,
    theme_id: int,
    host_id: int,
    bucket: int,
    key: bytes,
    need: int,
) -> list[int]:
    """The places in ``orders.ids`` a quick plan's draw takes for a host and bucket, in
    the order of the block: tier 0's two keyed hashes (joined), the walk of one of the
    day's orders from the keyed point (``quick.take_places``), and for fair exchange
    those the network owes most first.  ``fused_slots`` and ``pipeline.quick_members``
    draw through it."""
    mix, u = keyed_hash_and_unit(key, "shift", "draw", theme_id, host_id, bucket, 0)
    chosen = take_places(orders, mix % orders.count, walk_point(mix), values, scale, at, u, need)
    if strategy == "fair-exchange":
        owed_first(chosen, values, orders)
    return chosen
