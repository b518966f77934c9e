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
from the theme's weights with the dropped members' set to 0.0
(``excluding_scale``): the same scale and the same walk as the general plan's
``inclusion_probabilities`` and ``systematic_sample``, which pass over members
without a share (the walk without the guides a large theme's own weights have).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence

from widget_server.rotation.keyed import keyed_hash_and_unit
from widget_server.rotation.plans import Slot
from widget_server.rotation.pool import MemberInfo, ThemePool
from widget_server.rotation.quick import Extremes, host_place, owed_first, quick_scale, take_places
from widget_server.rotation.rules import Pin, Rules
from widget_server.rotation.sampling import EPSILON
from widget_server.rotation.shared import SharedPlan
from widget_server.rotation.strategies import DailyOrders, walk_point

DAY = 86_400


def host_info(pool: ThemePool, host_id: int) -> MemberInfo:
    """The host as selection sees it; a host outside the theme excludes nobody."""
    return pool.members.get(host_id) or MemberInfo(host_id, f"#{host_id}")


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


def excluded_slugs(rules: Rules, host: MemberInfo) -> set[str]:
    """The slugs ``host`` never shows: its blocklist and its pair exclusions (a pair of
    one names the host's own slug)."""
    slugs = set(rules.blocklists.get(host.slug, ()))
    for pair in rules.exclude_pairs:
        if host.slug in pair and len(pair) <= 2:  # what frozenset((host, c)) can equal
            others = pair - {host.slug}
            slugs.update(others if others else pair)
    return slugs


def excludes_others(pool: ThemePool, rules: Rules, host_id: int) -> bool:
    """Whether the host excludes anyone but itself: its category's members (the
    same-category rule), a blocklist, a pair it is in, those outside its region, or
    those pinned (whose places the draw leaves to them); or weighs some members as
    no other host does (those of its region, under the region rule "boost")."""
    if rules.region.mode != "off" or rules.pins:
        return True
    # The host itself is looked at only by rules that exclude per host.
    if rules.exclude_same_category or rules.blocklists or rules.exclude_pairs:
        host = host_info(pool, host_id)
        if (
            (rules.exclude_same_category and host.category)
            or host.slug in rules.blocklists
            or (rules.exclude_pairs and any(host.slug in pair for pair in rules.exclude_pairs))
        ):
            return True
    return False


def quick_case(pool: ThemePool, shared: SharedPlan, rules: Rules, host_id: int) -> bool:
    """Whether the host's plan under ``rules`` can be the quick one as far as its rules
    go: ``quick_rules``, and a host that excludes only itself (no category of its own
    excluded, no blocklist, in no excluded pair).  Whether the cap binds is
    ``quick_scale``'s to say."""
    return quick_rules(shared, rules) and not excludes_others(pool, rules, host_id)


def excluded_places(pool: ThemePool, shared: SharedPlan, rules: Rules, host_id: int) -> set[int]:
    """The places in ``shared.candidates`` of the members the host drops, as the general
    path's ``_eligible`` drops them: itself, its category's members (the same-category
    rule) and the slugs of ``excluded_slugs``."""
    host = host_info(pool, host_id)
    places: set[int] = set()
    if rules.exclude_same_category and host.category:
        places.update(shared.category_places(host.category))
    candidates = shared.candidates
    at = host_place(candidates, host_id)
    if at >= 0:
        places.add(at)
    by_slug = pool.ids_by_slug
    for slug in excluded_slugs(rules, host):
        member = by_slug.get(slug)
        if member is not None and (j := host_place(candidates, member)) >= 0:
            places.add(j)
    return places


def region_key(rules: Rules, member: MemberInfo) -> str:
    """What ``pipeline._same_region`` compares of a member: its postal code's first
    digits, or its town, casefolded."""
    if rules.region.by == "postal":
        return member.postal_code[: rules.region.postal_digits]
    return member.town.casefold()


def region_places(pool: ThemePool, shared: SharedPlan, rules: Rules, host_id: int) -> Sequence[int]:
    """The places in ``shared.candidates`` of the members in the host's region (none
    for a host without a postal code or town), as ``pipeline._same_region`` finds them."""
    host = host_info(pool, host_id)
    if not (host.postal_code if rules.region.by == "postal" else host.town):
        return ()
    regions = shared.regions
    if not regions:  # every region of the part at once: one pass over the candidates
        found: dict[str, list[int]] = {}
        members = pool.members
        for j, i in enumerate(shared.candidates):
            found.setdefault(region_key(rules, members[i]), []).append(j)
        regions.update({k: tuple(v) for k, v in found.items()})
        regions.setdefault("", ())  # made, even for a part without candidates
    return regions.get(region_key(rules, host), ())


def kept_weights(
    pool: ThemePool, shared: SharedPlan, rules: Rules, host_id: int
) -> tuple[array[float], int] | None:
    """The theme's weights as the host's general plan keeps them, those it drops set to
    0.0, and how many it keeps; None where a kept weight is not positive (the general
    plan's ``inclusion_probabilities`` then takes its other branch)."""
    values = shared.values()
    dropped = excluded_places(pool, shared, rules, host_id)
    if rules.region.mode != "only":
        kept = array("d", values)
        if rules.region.mode == "boost":  # the host's region weighs more, as the plan weighs it
            candidates, base, fair = shared.candidates, shared.base_weights, shared.fair
            boost = rules.region.boost
            for j in region_places(pool, shared, rules, host_id):
                i = candidates[j]
                w = base[i] * boost
                if i in fair:
                    w *= fair[i].multiplier
                if not w > 0:
                    return None
                kept[j] = w
        for j in dropped:
            kept[j] = 0.0
        return kept, len(values) - len(dropped)
    kept = array("d", bytes(8 * len(values)))  # all 0.0, then those of the region
    count = 0
    for j in region_places(pool, shared, rules, host_id):
        if j not in dropped:
            kept[j] = values[j]
            count += 1
    return kept, count


def group_of(pool: ThemePool, rules: Rules, host_id: int) -> str | None:
    """The host's group when what it drops (or weighs more) is a group's, the same for
    all its hosts: ``category:C`` (the same-category rule), ``only:R`` or ``boost:R``
    (its region); None when it also drops others (a blocklist, a pair, pins), or the
    rules combine both, or it has no region."""
    if rules.pins or rules.one_per_category:
        return None
    host = host_info(pool, host_id)
    if excluded_slugs(rules, host):
        return None
    mode = rules.region.mode
    if rules.exclude_same_category and host.category:
        return f"category:{host.category}" if mode == "off" else None
    if mode in ("only", "boost") and (
        host.postal_code if rules.region.by == "postal" else host.town
    ):
        return f"{mode}:{region_key(rules, host)}"
    return None


def group_weights(
    pool: ThemePool, shared: SharedPlan, rules: Rules, host_id: int, group: str
) -> tuple[array[float], int, Extremes] | None:
    """A group's weights over the theme's candidates (its hosts' general plans' weights,
    but each host's own), how many of them are above 0.0 and their extremes; made once
    per theme part and group (``group_of``), kept in its memo.  None where a boosted
    weight is not positive (the general plan takes its other branch)."""
    key = f"group:{group}"
    if key in shared.memo:
        found: tuple[array[float], int, Extremes] | None = shared.memo[key]
        return found
    values = shared.values()
    kind = group.split(":", 1)[0]
    made: tuple[array[float], int, Extremes] | None
    if kind == "category":
        places = shared.category_places(host_info(pool, host_id).category)
        kept = array("d", values)
        for j in places:
            kept[j] = 0.0
        made = kept, len(values) - len(places), Extremes(kept)
    elif kind == "only":
        kept = array("d", bytes(8 * len(values)))
        region = region_places(pool, shared, rules, host_id)
        for j in region:
            kept[j] = values[j]
        made = kept, len(region), Extremes(kept)
    else:  # boost: the region's weights as the plan weighs them
        kept = array("d", values)
        candidates, base, fair = shared.candidates, shared.base_weights, shared.fair
        made = None
        for j in region_places(pool, shared, rules, host_id):
            i = candidates[j]
            w = base[i] * rules.region.boost
            if i in fair:
                w *= fair[i].multiplier
            if not w > 0:
                break
            kept[j] = w
        else:
            made = kept, len(values), Extremes(kept)
    shared.memo[key] = made
    return made


def group_scale(
    values: array[float], at: int, take: int, cap: float, extremes: Extremes
) -> float | None:
    """``quick_scale`` over a group's weights (``group_weights``: those outside it 0.0,
    so their least is no test; every weight kept is positive): the scale of
    ``inclusion_probabilities`` over them without place ``at`` in their one-pass
    branch, else None.  The sum over the whole array is the sum over those kept."""
    if take <= 0:
        return None
    rest = values[:at] + values[at + 1 :] if at >= 0 else values
    scale = float(take) / sum(rest)
    if not extremes.without(at)[1] * scale < min(cap, 1.0) - EPSILON:
        return None
    return scale


def excluding_scale(
    kept: array[float],
    count: int,
    need: int,
    cap: float,
    extremes: Extremes,
    *,
    boosted: bool = False,
) -> float | None:
    """The scale of ``inclusion_probabilities`` over the ``count`` weights ``kept``
    (the others 0.0) in their order when it takes its one-pass branch, else None (as
    ``quick_scale`` for a host that drops only itself).  ``extremes``: those of all
    the theme's weights; ``boosted``: some kept weights are above the theme's own.

    A 0.0 changes no sum it is added to (nor a compensated one), so the sum over
    the array is the sum over the weights kept, in the same order: the same float."""
    take = min(need, count)
    if take <= 0 or extremes.low <= 0:  # every weight kept must be positive
        return None
    scale = float(take) / sum(kept)
    ceiling = min(cap, 1.0) - EPSILON
    # The greatest of the theme's weights is a bound on those kept (but boosted ones);
    # only where it binds is the greatest kept looked for.
    if not (extremes.high * scale < ceiling and not boosted) and not max(kept) * scale < ceiling:
        return None
    return scale


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
    group = group_of(pool, rules, host_id) if excludes_others(pool, rules, host_id) else None
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
    elif excludes_others(pool, rules, host_id):
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
            kept = values
            for j in pins_of(
                pool, shared, rules, host_id, moment, limit, lambda j: kept[j] > 0.0, pinned
            ):
                kept[j] = 0.0  # the draw leaves the pinned out
                count -= 1
            need -= len(pinned)
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
    if pinned:
        return placed(pinned, [ids[j] for j in chosen], limit, rules.min_partners)
    if len(chosen) < min(rules.min_partners, limit):
        return ()
    return tuple([Slot(ids[j], n) for n, j in enumerate(chosen, start=1)])


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
        for j in pins_of(
            pool, shared, rules, host_id, moment, limit, lambda j: kept[j] > 0.0, pinned
        ):
            kept[j] = 0.0
            count -= 1
        need -= len(pinned)
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


def pin_fits(pin: Pin, host: MemberInfo, limit: int, pinned: list[Slot], now: float) -> bool:
    """Whether a pin of a member the host may show holds on its block: within the
    block, its position not taken by an earlier pin, on this host, in its schedule."""
    return not (
        pin.position > limit
        or any(s.position == pin.position for s in pinned)
        or (pin.hosts and host.slug not in pin.hosts)
        or (pin.schedule is not None and not pin.schedule.active(now))
    )


def pins_of(
    pool: ThemePool,
    shared: SharedPlan,
    rules: Rules,
    host_id: int,
    moment: float,
    limit: int,
    keeps: Callable[[int], bool],
    pinned: list[Slot],
) -> list[int]:
    """The host's pins as the general plan takes them (``pipeline.plan``), added to
    ``pinned``; their places.  A pin holds when its member is kept (``keeps`` of its
    place), not pinned already, within the block, its position free, on this host and
    in its schedule."""
    host = host_info(pool, host_id)
    candidates = shared.candidates
    taken: list[int] = []
    for pin in rules.pins:
        member_id = pool.ids_by_slug.get(pin.member)
        j = -1 if member_id is None else host_place(candidates, member_id)
        if j < 0 or not keeps(j) or j in taken or not pin_fits(pin, host, limit, pinned, moment):
            continue
        assert member_id is not None
        pinned.append(Slot(member_id, pin.position, pinned=True, counts=pin.counts_in_ledger))
        taken.append(j)
    return taken


def placed(pinned: list[Slot], picks: Sequence[int], limit: int, least: int) -> tuple[Slot, ...]:
    """``draw``'s slots: the pins at their positions, the picks in the free ones in
    order, gaps closed; empty when fewer than ``least`` (the rules' minimum, at most
    the block's size)."""
    if not pinned:
        slots = [Slot(m, n) for n, m in enumerate(picks, start=1)]
    else:
        taken = {s.position for s in pinned}
        free = [n for n in range(1, limit + 1) if n not in taken]
        ordered = pinned + [Slot(m, n) for m, n in zip(picks, free, strict=False)]
        ordered.sort(key=lambda s: s.position)
        slots = [Slot(s.member_id, n, s.pinned, s.counts) for n, s in enumerate(ordered, start=1)]
    return tuple(slots) if len(slots) >= min(least, limit) else ()


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
