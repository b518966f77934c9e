"""The selection pipeline: candidates, filters, pins, strategy, order, fallback.

Split in two so the hot path stays cheap:

* ``plan(pool, host, now, key)`` does everything that depends only on the host
  and the time of day: filters, pins, weights, inclusion probabilities.  What
  of it is the same for every host comes from a ``SharedPlan``
  (``rotation/shared.py``), which the caller keeps per theme and bucket; the
  host's own part is a pass over the theme's candidates; the keyed orders of
  the day are the theme's (shared), the host only filters them.
* ``draw(plan, bucket, key)`` picks the partners for one rotation bucket (or
  one request): one keyed hash and a walk over the plan.

Both are pure.  ``explain`` (``rotation/explain.py``) replays a selection and
reports every candidate with the checks it passed or failed, its weight,
multiplier and probability.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from widget_server.rotation.drops import (
    boosted_weight,
    excluded_slugs,
    host_info,
    pin_fits,
    placed,
)
from widget_server.rotation.fused import drawn_places, quick_case
from widget_server.rotation.keyed import keyed_hash, keyed_hashes, keyed_unit
from widget_server.rotation.plans import Check, Plan, Slot, Tier
from widget_server.rotation.pool import MemberInfo, ThemePool
from widget_server.rotation.quick import (
    HostOrder,
    Scaled,
    Without,
    host_place,
    quick_scale,
)
from widget_server.rotation.rules import Rules
from widget_server.rotation.sampling import inclusion_probabilities, systematic_sample
from widget_server.rotation.shared import SharedPlan, shared_plan, timely
from widget_server.rotation.strategies import (
    VARIANTS,
    DailyOrders,
    rotate,
    round_robin_order,
    walk_point,
)

__all__ = [
    "Check",
    "MemberInfo",
    "Plan",
    "SharedPlan",
    "Slot",
    "ThemePool",
    "Tier",
    "draw",
    "plan",
    "shared_plan",
]

DAY = 86_400


def _same_region(rules: Rules, a: MemberInfo, b: MemberInfo) -> bool:
    if rules.region.by == "postal":
        digits = rules.region.postal_digits
        return bool(a.postal_code) and a.postal_code[:digits] == b.postal_code[:digits]
    return bool(a.town) and a.town.casefold() == b.town.casefold()


def _checks(
    rules: Rules, host: MemberInfo, c: MemberInfo, now: float, *, all_checks: bool
) -> tuple[bool, tuple[Check, ...]]:
    """Run the hard filters; stop at the first failure unless explaining."""
    out: list[Check] = []

    def check(name: str, passed: bool, detail: str) -> bool:
        out.append(Check(name, passed, detail))
        return passed or all_checks

    if not check("status", c.eligible, "active" if c.eligible else "paused, pending or left"):
        return False, tuple(out)
    paired = frozenset((host.slug, c.slug)) in rules.exclude_pairs
    if not check("pair-exclusion", not paired, "never shown together" if paired else ""):
        return False, tuple(out)
    blocked = c.slug in rules.blocklists.get(host.slug, frozenset())
    if not check("blocklist", not blocked, "on the host's blocklist" if blocked else ""):
        return False, tuple(out)
    same = rules.exclude_same_category and bool(c.category) and c.category == host.category
    if not check("same-category", not same, f"same category {c.category}" if same else ""):
        return False, tuple(out)
    windows = [a.schedule for a in rules.availability if a.member == c.slug]
    available = not windows or any(s.active(now) for s in windows)
    if not check("schedule", available, "" if available else "outside its schedule"):
        return False, tuple(out)
    if rules.inactive_after_days is not None and c.slug not in rules.activity_exempt:
        seen = max(c.last_seen or 0.0, c.joined)
        active = now - seen <= rules.inactive_after_days * DAY
        detail = "" if active else f"widget not seen for {rules.inactive_after_days}+ days"
        if not check("activity", active, detail):
            return False, tuple(out)
    if rules.region.mode == "only":
        near = _same_region(rules, host, c)
        if not check("region", near, "" if near else "outside the host's region"):
            return False, tuple(out)
    passed = all(ch.passed for ch in out)
    return passed, tuple(out)


def _one_per_category(
    ids: list[int],
    pool: ThemePool,
    rules: Rules,
    weights: Mapping[int, float],
    key: bytes,
    seed: tuple[object, ...],
    encoded: Mapping[int, bytes] | None = None,
    categories: Mapping[int, str] | None = None,
) -> tuple[list[int], dict[int, float], dict[int, float]]:
    """One member per category: the coordinator's first (fixed), else a weighted draw.

    Also each one's weight and cap in the draw (weighted strategies): the
    category's total weight, and max_share x total / largest weight (at most 1),
    so over the minutes no member exceeds the cap and none is shown less.

    Each member's draw is ``keyed_unit(key, "category", *seed, i)``, made for all of
    them from one state of the hash with the seed (``keyed_hashes``; ``encoded``: the
    ids as bytes, made beforehand): the same numbers at half the cost.  ``categories``:
    the members' categories, made beforehand (a pool's member is made anew on every
    lookup: in a theme of 10,000, 16 ms a plan).
    """
    rank = {slug: n for n, slug in enumerate(rules.order)}
    best: dict[str, tuple[float, int]] = {}
    total: dict[str, float] = {}
    largest: dict[str, float] = {}
    units: dict[int, int] = {}
    if rules.strategy != "fixed":
        units = keyed_hashes(key, ("category", *seed), ids, encoded)
    log = math.log
    fixed = rules.strategy == "fixed"
    for i in ids:
        if categories is None or fixed:
            member = pool.members[i]
            category = member.category or f"#{i}"  # no category: a group of its own
        else:
            category = categories[i] or f"#{i}"
        if fixed:
            score = -float(rank.get(member.slug, len(rank)))
        elif rules.strategy == "round-robin":
            score = (units[i] >> 11) / 2**53  # keyed_unit; weights play no part
        else:
            w = weights.get(i, 0.0)
            if w <= 0:
                continue
            total[category] = total.get(category, 0.0) + w
            largest[category] = max(largest.get(category, 0.0), w)
            # Efraimidis-Spirakis: the largest u^(1/w) wins with probability w / sum(w);
            # log(u) / w orders the same without underflow for tiny weights.
            score = log(max((units[i] >> 11) / 2**53, 1e-300)) / w
        if category not in best or score > best[category][0]:
            best[category] = (score, i)
    draw_weights: dict[int, float] = {}
    caps: dict[int, float] = {}
    for category, (_, i) in best.items():
        if category in total:
            draw_weights[i] = total[category]
            caps[i] = min(1.0, rules.max_share * total[category] / largest[category])
    return sorted(i for _, i in best.values()), draw_weights, caps


def _eligible(
    pool: ThemePool, shared: SharedPlan, rules: Rules, host: MemberInfo, now: float
) -> list[int]:
    """The shared candidates minus what this host excludes: the filters of ``_checks``."""
    members = pool.members
    drop = {host.id}
    if shared.recheck:
        drop.update(
            i for i in shared.recheck if not timely(rules, members[i], shared.windows[i], now)
        )
    if rules.exclude_same_category and host.category:
        drop.update(shared.by_category.get(host.category, ()))
    slugs = excluded_slugs(rules, host)  # its pair exclusions and its blocklist
    if len(drop) == 1:  # only the host itself (the common case): a copy, one removal
        ids = list(shared.candidates)
        if host.id in shared.weights:
            ids.remove(host.id)
    else:
        ids = [i for i in shared.candidates if i not in drop]
    if slugs:
        ids = [i for i in ids if members[i].slug not in slugs]
    if rules.region.mode == "only":
        ids = [i for i in ids if _same_region(rules, host, members[i])]
    return ids


def plan(
    pool: ThemePool,
    host_id: int,
    now: float,
    key: bytes,
    *,
    limit: int,
    explain: bool = False,
    shared: SharedPlan | None = None,
) -> Plan:
    """The host's plan at ``now``; ``shared`` is the theme's host-independent part, if
    the caller keeps one (made anew when it does not cover ``now`` and its rules)."""
    rules = pool.rules.at(now)
    if shared is None or not shared.covers(rules, now):
        shared = shared_plan(pool, rules, now, now)
    limit = min(limit, rules.max_partners)
    if not explain:
        quick = _quick_plan(pool, shared, rules, host_id, now, key, limit)
        if quick is not None:
            return quick
    host = host_info(pool, host_id)
    checks: dict[int, tuple[Check, ...]] = {}
    if explain:
        eligible: list[int] = []
        for member in pool.members.values():
            if member.id == host_id:
                continue
            passed, ran = _checks(rules, host, member, now, all_checks=True)
            checks[member.id] = ran
            if passed:
                eligible.append(member.id)
        eligible.sort()
    else:
        eligible = _eligible(pool, shared, rules, host, now)

    pinned: list[Slot] = []
    taken: set[int] = set()
    eligible_ids = set(eligible) if rules.pins else set()
    for pin in rules.pins:
        member_id = pool.ids_by_slug.get(pin.member)
        if (
            member_id is None
            or member_id not in eligible_ids
            or member_id in taken
            or not pin_fits(pin, host, limit, pinned, now)
        ):
            continue
        pinned.append(Slot(member_id, pin.position, pinned=True, counts=pin.counts_in_ledger))
        taken.add(member_id)
    rest = [i for i in eligible if i not in taken] if taken else eligible
    pinned_positions = {s.position for s in pinned}
    free = tuple(n for n in range(1, limit + 1) if n not in pinned_positions)

    shared_weights = shared.weights.as_dict()
    if rules.region.mode == "boost":
        weights = {
            i: boosted_weight(shared, rules, i)
            if _same_region(rules, host, pool.members[i])
            else shared_weights[i]
            for i in rest
        }
    elif len(rest) + (host_id in shared_weights) == len(shared_weights):
        # Every candidate but the host: the shared weights in the same order, copied.
        weights = dict(shared_weights)
        weights.pop(host_id, None)
    else:
        weights = {i: shared_weights[i] for i in rest}

    day = int(now // DAY)
    draw_weights: Mapping[int, float] = weights
    caps: dict[int, float] = {}
    if rules.one_per_category:
        # A new representative per category every minute (plans live a minute).
        minute = (pool.theme_id, host_id, int(now // 60))
        kept, draw_weights, caps = _one_per_category(
            rest,
            pool,
            rules,
            weights,
            key,
            minute,
            None if explain else shared.encoded(),
            None if explain else shared.categories(pool),
        )
        if explain:
            note = Check("one-per-category", False, "another member of its category was drawn")
            for i in set(rest) - set(kept):
                checks[i] = (*checks[i], note)
        rest = kept
    if rules.region.mode == "tiered":
        near = [i for i in rest if _same_region(rules, host, pool.members[i])]
        # Looked up in a set: in a list, a theme of 10,000 with a region of 1,000 made
        # ten million comparisons per plan.
        nearby = set(near)
        groups = [near, [i for i in rest if i not in nearby]]
    else:
        groups = [rest]

    tiers = []
    remaining: float = len(free)
    for group in groups:
        take = min(remaining, len(group))
        remaining -= take
        if rules.strategy == "fixed":
            members = set(group)
            tiers.append(Tier(tuple(i for i in shared.fixed_order if i in members)))
        elif rules.strategy == "round-robin":
            order, offset = round_robin_order(
                group,
                key=key,
                host_id=host_id,
                theme_id=pool.theme_id,
                # Explaining, the members passing every check at this moment, not only
                # the part's candidates.
                encoded=None if explain else shared.encoded(),
            )
            tiers.append(Tier(order, offset))
        else:
            if explain:  # the checks ran on every member, not on the shared part
                orders = DailyOrders(sorted(group), key, (pool.theme_id, day))
            else:
                orders = shared.orders(key, day)
            probabilities = inclusion_probabilities(
                weights
                if group is rest and draw_weights is weights  # the same mapping, in order
                else {i: draw_weights.get(i, weights[i]) for i in group},
                take,
                cap=rules.max_share if not caps else 1.0,
                caps=caps or None,
            )
            tiers.append(
                Tier(
                    _filtered(orders.first, group, host_id),
                    probabilities=probabilities,
                    orders=orders,
                )
            )
            # Caps can leave a tier short of its share; the next tier makes up for it.
            remaining += take - sum(probabilities.values())
    return Plan(
        theme_id=pool.theme_id,
        host_id=host_id,
        rules=rules,
        limit=limit,
        pinned=tuple(sorted(pinned, key=lambda s: s.position)),
        free_positions=free,
        tiers=tuple(tiers),
        weights=weights,
        checks=checks,
        day=day,
    )


def _quick_plan(
    pool: ThemePool,
    shared: SharedPlan,
    rules: Rules,
    host_id: int,
    now: float,
    key: bytes,
    limit: int,
) -> Plan | None:
    """The plan of a host that excludes only itself from a weighted theme whose cap does
    not bind, over the shared part without copies (``rotation/quick.py``); None when
    anything else applies.  The same plan as the general path's, value for value."""
    if not quick_case(pool, shared, rules, host_id):
        return None
    weights = shared.weights
    free = tuple(range(1, limit + 1))
    at = host_place(shared.candidates, host_id)
    values = shared.values()
    take = min(len(free), len(values) - (at >= 0))
    scale = quick_scale(values, at, take, rules.max_share, shared.extremes())
    if scale is None:
        return None
    day = int(now // DAY)
    orders = shared.orders(key, day)
    first = HostOrder(orders.first, host_id)
    return Plan(
        theme_id=pool.theme_id,
        host_id=host_id,
        rules=rules,
        limit=limit,
        pinned=(),
        free_positions=free,
        tiers=(
            Tier(first, probabilities=Scaled(weights, host_id, scale, values, at), orders=orders),
        ),
        weights=Without(weights, host_id, at >= 0),
        checks={},
        day=day,
    )


def _filtered(order: tuple[int, ...], group: list[int], host_id: int) -> tuple[int, ...]:
    """``order`` without the members outside ``group``: in the common case only the host."""
    if len(group) + 1 == len(order):
        out = list(order)
        if host_id in out:
            out.remove(host_id)
            if len(out) == len(group):
                return tuple(out)
    elif len(group) == len(order):
        return order
    members = set(group)
    return tuple(i for i in order if i in members)


def _draw_tier(p: Plan, tier: Tier, need: int, bucket: int, key: bytes, index: int) -> list[int]:
    if need <= 0 or not tier.order:
        return []
    strategy = p.rules.strategy
    if strategy == "fixed":
        return list(tier.order[:need])
    if strategy == "round-robin":
        return rotate(tier.order, tier.offset, bucket, need)
    # Any order keeps the inclusion probabilities exact; one of the theme's
    # orders of the day, walked from a keyed point per host and bucket, varies
    # which partners appear together.  Members of the order outside the tier
    # have no probability: the sample skips them.
    mix = keyed_hash(key, "shift", p.theme_id, p.host_id, bucket, index)
    u = keyed_unit(key, "draw", p.theme_id, p.host_id, bucket, index)
    probabilities = tier.probabilities
    if tier.orders is not None:
        k, point = mix % tier.orders.count, walk_point(mix)
        chosen = systematic_sample(tier.orders.walk(k, point), probabilities, u, need)
    else:
        shift = (mix // VARIANTS) % len(tier.order)
        order = tuple(tier.order)
        chosen = systematic_sample(order[shift:] + order[:shift], probabilities, u, need)
    if strategy == "fair-exchange":
        # Those the network owes most get the best places; ties by the permutation.
        if isinstance(tier.order, HostOrder) and tier.orders is not None:
            place = tier.orders.first_place  # the same order as the index in tier.order
            chosen.sort(key=lambda i: (-p.weights.get(i, 0.0), place(i)))
        else:
            first = tier.order
            chosen.sort(key=lambda i: (-p.weights.get(i, 0.0), first.index(i)))
    return chosen


def quick_members(p: Plan, bucket: int, key: bytes) -> list[int] | None:
    """The members of ``draw(p, bucket, key)`` in order when ``p`` is a quick plan
    (``_quick_plan``), else None.  Its slots are at positions 1, 2, ... in that
    order, none pinned, all counted, so the members say everything: ``draw`` and
    the simulator draw a quick plan this way, over places in the theme's candidates
    (``fused.drawn_places``, as ``fused_slots`` draws).  Fair exchange sorts by the
    general draw's key: a chosen member is never the host, so its weight in
    ``p.weights`` is the shared weight at its place, and ``first_rank`` is its
    ``first_place``."""
    if p.pinned or len(p.tiers) != 1:
        return None
    tier = p.tiers[0]
    probabilities, orders = tier.probabilities, tier.orders
    if orders is None or not isinstance(probabilities, Scaled):
        return None
    need = len(p.free_positions)
    chosen: list[int] = []
    if need > 0 and tier.order:
        values, scale, at = probabilities.weight_array, probabilities.scale, probabilities.at
        chosen = drawn_places(
            orders, values, scale, at, p.rules.strategy, p.theme_id, p.host_id, bucket, key, need
        )
    if len(chosen) < min(p.rules.min_partners, p.limit):
        return []
    ids = orders.ids
    return [ids[j] for j in chosen]


def draw(p: Plan, bucket: int, key: bytes) -> tuple[Slot, ...]:
    """The slots of one block; empty when fewer than the minimum were found."""
    members = quick_members(p, bucket, key)
    if members is not None:  # the common case, over the theme's shared part
        return tuple([Slot(member_id, n) for n, member_id in enumerate(members, start=1)])
    picks: list[int] = []
    need = len(p.free_positions)
    for index, tier in enumerate(p.tiers):
        picks += _draw_tier(p, tier, need - len(picks), bucket, key, index)
    # The pins at their positions, the picks in the free ones (1..limit but the pinned)
    # in order, gaps left by positions nobody could fill closed.
    return placed(list(p.pinned), picks[:need], p.limit, p.rules.min_partners)
