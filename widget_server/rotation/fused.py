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

A host that drops more than itself (its own category under the same-category
rule, a blocklist, an excluded pair, those outside its region under the
region rule "only", the members pinned) or weighs its region more (region
"boost") has no quick plan: its general plan copies
the candidates and weights without those it drops, a few microseconds in a
theme of 100, milliseconds in one of 10,000.  ``fused_slots`` draws it too,
from the numbers ``rotation/drops.py`` makes: a group's weights made once for
all its hosts (a category's, a region's) with their own guides, or else the
theme's weights with the dropped members' set to 0.0 (``kept_weights``): the
same scale and the same walk as the general plan's ``inclusion_probabilities``
and ``systematic_sample``, which pass over members without a share.  Tiered
regions (``tiered_slots``: two such walks) and fixed themes (``fixed_slots``)
are drawn here too.
"""

from __future__ import annotations

from array import array

from widget_server.rotation.drops import (
    drop_pins,
    excluded_places,
    excludes_others,
    excluding_scale,
    group_of,
    group_scale,
    group_weights,
    kept_weights,
    pins_of,
    placed,
    region_places,
)
from widget_server.rotation.keyed import keyed_hash_and_unit
from widget_server.rotation.plans import Slot
from widget_server.rotation.pool import ThemePool
from widget_server.rotation.quick import host_place, owed_first, quick_scale, take_places
from widget_server.rotation.rules import Rules
from widget_server.rotation.sampling import EPSILON
from widget_server.rotation.shared import SharedPlan
from widget_server.rotation.strategies import DailyOrders, walk_point

DAY = 86_400


def quick_rules(shared: SharedPlan, rules: Rules) -> bool:
    """Whether ``rules`` let a theme's hosts be drawn over its shared part: a weighted or
    fair-exchange theme with no one per category, tiered regions or members whose
    schedule or activity is decided per plan."""
    return not (
        rules.strategy not in ("weighted", "fair-exchange")
        or shared.recheck
        or rules.one_per_category
        or rules.region.mode == "tiered"
    )


def quick_case(pool: ThemePool, shared: SharedPlan, rules: Rules, host_id: int) -> bool:
    """Whether the host's plan under ``rules`` can be the quick one as far as its rules
    go: ``quick_rules``, and a host that excludes only itself (no category of its own
    excluded, no blocklist, in no excluded pair).  Whether the cap binds is
    ``quick_scale``'s to say."""
    return quick_rules(shared, rules) and not excludes_others(pool, rules, host_id)


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
    if not shared.covers(rules, moment):
        return None
    if rules.strategy == "fixed":
        return fixed_slots(pool, shared, rules, host_id, moment, min(limit, rules.max_partners))
    if (
        rules.region.mode == "tiered"
        and rules.strategy in ("weighted", "fair-exchange")
        and not (shared.recheck or rules.one_per_category)
    ):
        return tiered_slots(pool, shared, rules, host_id, moment, bucket, key, limit)
    if not quick_rules(shared, rules):
        return None
    limit = min(limit, rules.max_partners)
    need = max(limit, 0)  # the plan's free positions, 1..limit
    values = shared.values()
    guided = True
    pinned: list[Slot] = []
    drops = excludes_others(pool, rules, host_id)
    group = group_of(pool, rules, host_id) if drops else None
    if group is not None:
        # A host that drops its category's members, or keeps (or weighs more) its
        # region's, and nobody else: its weights are its group's, made once for all its
        # hosts with their guides; the host drops itself from them as from the theme's.
        if shared.extremes().low <= 0:
            return None
        found_group = group_weights(pool, shared, rules, host_id, group)
        if found_group is None:
            return None
        values, count, high = found_group
        at = host_place(shared.candidates, host_id)
        if at >= 0 and not values[at] > 0.0:
            at = -1  # its own category's: dropped with it
        take = min(need, count - (at >= 0))
        scale_ = group_scale(values, at, take, rules.max_share, high)
        if scale_ is None:
            return None
        scale = scale_
    elif drops:
        # The general plan of such a host is its candidates and weights copied without
        # those it drops (a theme of 10,000: milliseconds); the same draw walks the
        # theme's weights with theirs set to 0.0, which no walk takes.
        extremes = shared.extremes()
        if extremes.low <= 0:  # a kept weight of 0.0 would not tell who is kept
            return None
        found = kept_weights(pool, shared, rules, host_id)
        if found is None:
            return None
        values, count = found
        if rules.pins:
            taken = drop_pins(pool, shared, rules, host_id, moment, limit, values, pinned)
            count, need = count - taken, need - taken
        boosted = rules.region.mode == "boost"
        scale_ = excluding_scale(values, count, need, rules.max_share, extremes, boosted=boosted)
        if scale_ is None:
            return None
        scale, at, guided = scale_, -1, False  # the guides are for the theme's own weights
    else:
        at = host_place(shared.candidates, host_id)
        take = min(need, len(values) - (at >= 0))
        scale_ = quick_scale(values, at, take, rules.max_share, shared.extremes())
        if scale_ is None:
            return None
        scale = scale_
    # From here on at least one candidate besides the host has a share (take >= 1),
    # so the tier's order is not empty and the draw walks it.
    orders = shared.orders(key, int(moment // DAY))
    chosen = drawn_places(
        orders,
        values,
        scale,
        at,
        rules.strategy,
        pool.theme_id,
        host_id,
        bucket,
        key,
        need,
        guided=guided,
    )
    ids = orders.ids
    return placed(pinned, [ids[j] for j in chosen], limit, rules.min_partners)


def tiered_slots(
    pool: ThemePool,
    shared: SharedPlan,
    rules: Rules,
    host_id: int,
    moment: float,
    bucket: int,
    key: bytes,
    limit: int,
) -> tuple[Slot, ...] | None:
    """A weighted block under the region rule "tiered" as the general plan draws it:
    the host's region first (tier 0), then the others (tier 1) for the places left,
    each tier its weights over the theme's with everyone else's 0.0, its scale, and
    its own keyed walk; None where a cap binds or a weight is not positive (the plan
    takes ``inclusion_probabilities``' other branch)."""
    limit = min(limit, rules.max_partners)
    extremes = shared.extremes()
    if extremes.low <= 0:
        return None
    found = kept_weights(pool, shared, rules, host_id)
    if found is None:
        return None
    kept, count = found
    pinned: list[Slot] = []
    need = max(limit, 0)
    if rules.pins:
        taken = drop_pins(pool, shared, rules, host_id, moment, limit, kept, pinned)
        count, need = count - taken, need - taken
    # Tier 0: the kept members of the host's region, in the candidates' order.
    near = [j for j in region_places(pool, shared, rules, host_id) if kept[j] > 0.0]
    first = array("d", bytes(8 * len(kept)))
    for j in near:
        first[j] = kept[j]
        kept[j] = 0.0  # what is left is tier 1
    # The plan's tiers: each takes what is left of the block's free places (at most its
    # size), and what its probabilities fall short of that (their sum, in its order)
    # is left to the next.
    ceiling = min(rules.max_share, 1.0) - EPSILON
    remaining: float = need
    scales = []
    for weights, size in ((first, len(near)), (kept, count - len(near))):
        take = min(remaining, size)
        remaining -= take
        scale = 0.0  # no share: none to take, or nobody in the tier
        if take > 0:  # all its weights positive: the one-pass branch, if no cap binds
            scale = float(take) / sum(weights)
            if not max(weights) * scale < ceiling:
                return None
            if weights is first:
                remaining += take - sum([weights[j] * scale for j in near])
        scales.append(scale)
    orders = shared.orders(key, int(moment // DAY))
    picks: list[int] = []
    for tier, (weights, scale) in enumerate(zip((first, kept), scales, strict=True)):
        if scale > 0 and need - len(picks) > 0:
            picks += drawn_places(
                orders,
                weights,
                scale,
                -1,
                rules.strategy,
                pool.theme_id,
                host_id,
                bucket,
                key,
                need - len(picks),
                guided=False,
                tier=tier,
            )
    ids = orders.ids
    return placed(pinned, [ids[j] for j in picks], limit, rules.min_partners)


def fixed_slots(
    pool: ThemePool, shared: SharedPlan, rules: Rules, host_id: int, moment: float, limit: int
) -> tuple[Slot, ...] | None:
    """The slots of a fixed theme's host as its plan and draw give them: its pins, then
    the first of the coordinator's order (``shared.fixed_order``) that it keeps, in
    that order; None under rules this does not follow (tiered regions, one per
    category, members decided per plan)."""
    if shared.recheck or rules.one_per_category or rules.region.mode == "tiered":
        return None
    candidates = shared.candidates
    dropped = excluded_places(pool, shared, rules, host_id)
    region = None
    if rules.region.mode == "only":
        region = set(region_places(pool, shared, rules, host_id))

    def keeps(j: int) -> bool:
        return j not in dropped and (region is None or j in region)

    pinned: list[Slot] = []
    if rules.pins:
        dropped.update(pins_of(pool, shared, rules, host_id, moment, limit, keeps, pinned))
    need = limit - len(pinned)
    picks: list[int] = []
    if need > 0:
        # Whom the walk passes over, as ids: those dropped, or those outside the region.
        skip = {candidates[j] for j in dropped}
        near = None if region is None else {candidates[j] for j in region}
        for i in shared.fixed_order:
            if i not in skip and (near is None or i in near):
                picks.append(i)
                if len(picks) == need:
                    break
    return placed(pinned, picks, limit, rules.min_partners)


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
    *,
    guided: bool = True,
    tier: int = 0,
) -> list[int]:
    """The places in ``orders.ids`` a quick plan's draw takes for a host and bucket, in
    the order of the block: the tier's two keyed hashes (joined), the walk of one of
    the day's orders from the keyed point (``quick.take_places``), and for fair
    exchange those the network owes most first.  ``fused_slots`` and
    ``pipeline.quick_members`` draw through it."""
    mix, u = keyed_hash_and_unit(key, "shift", "draw", theme_id, host_id, bucket, tier)
    k, point = mix % orders.count, walk_point(mix)
    chosen = take_places(orders, k, point, values, scale, at, u, need, guided=guided)
    if strategy == "fair-exchange":
        owed_first(chosen, values, orders)
    return chosen
