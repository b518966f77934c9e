"""The selection pipeline as it was before plans were split into a shared and a host part.

Kept only as the reference that ``test_selection_shared.py`` compares the
pipeline with: the same plan and the same blocks for the same inputs.  Copied
from widget_server/rotation/pipeline.py, strategies.py and sampling.py as of
f6d203a; nothing here is used by the server.  Since the keyed orders of the day
became the theme's (not the host's), ``daily_orders`` and the draw's walk here
say the new rule the plain way: each group's orders made from scratch with one
keyed hash per member, the walk's start found by a scan of the ranks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from widget_server.rotation.fairness import Balance, balances
from widget_server.rotation.keyed import keyed_hash, keyed_unit
from widget_server.rotation.pipeline import Check, MemberInfo, Slot, ThemePool
from widget_server.rotation.rules import Rules

DAY = 86_400
VARIANTS = 16
_PRIME = 2**61 - 1
EPSILON = 1e-12


@dataclass(frozen=True)
class Tier:
    order: tuple[int, ...]
    offset: int = 0
    probabilities: Mapping[int, float] = field(default_factory=dict)
    variants: tuple[tuple[int, ...], ...] = ()
    ranks: tuple[tuple[int, ...], ...] = ()  # per variant, its members' ranks in order


@dataclass(frozen=True)
class Plan:
    theme_id: int
    host_id: int
    rules: Rules
    limit: int
    pinned: tuple[Slot, ...]
    free_positions: tuple[int, ...]
    tiers: tuple[Tier, ...]
    weights: Mapping[int, float]
    checks: Mapping[int, tuple[Check, ...]]
    day: int


def round_robin_order(
    pool: Sequence[int], *, key: bytes, host_id: int, theme_id: int
) -> tuple[tuple[int, ...], int]:
    """The cycle a host rotates through (a keyed order per host and theme) and its offset."""
    order = tuple(
        sorted(pool, key=lambda m: (keyed_hash(key, "rr-order", theme_id, host_id, m), m))
    )
    offset = keyed_hash(key, "rr-offset", theme_id, host_id) % len(order) if order else 0
    return order, offset


def rotate(order: Sequence[int], offset: int, bucket: int, limit: int) -> list[int]:
    """``limit`` members of the cycle, starting one place further each bucket.

    Over ``len(order)`` consecutive buckets every member holds every position
    exactly once.
    """
    n = len(order)
    if n == 0 or limit <= 0:
        return []
    start = (offset + bucket) % n
    return [order[(start + i) % n] for i in range(min(limit, n))]


def daily_orders(
    group: Sequence[int], key: bytes, seed: tuple[object, ...]
) -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]]:
    """The day's keyed order of ``group``, its VARIANTS orders, and each order's ranks.

    One keyed hash per member (seeded by theme and day, not by host): variant k
    sorts the members by their rank, an affine map (a_k * h_i + b_k) mod p of
    their hashes with keyed a_k, b_k (ties by id); variant 0 is the first order.
    """
    h = {i: keyed_hash(key, "perm", *seed, i) for i in group}
    variants = []
    ranks = []
    for k in range(VARIANTS):
        mix = keyed_hash(key, "variant", *seed, k)
        a, b = mix % (_PRIME - 1) + 1, (mix >> 32) % _PRIME
        rank = {i: (a * h[i] + b) % _PRIME for i in group}
        order = tuple(sorted(group, key=lambda i: (rank[i], i)))
        variants.append(order)
        ranks.append(tuple(rank[i] for i in order))
    return variants[0], tuple(variants), tuple(ranks)


def inclusion_probabilities(
    weights: Mapping[int, float],
    k: float,
    cap: float = 1.0,
    caps: Mapping[int, float] | None = None,
) -> dict[int, float]:
    """pi_i = min(cap_i, c * w_i) with sum(pi) = min(k, sum of the caps of positive weights).

    ``caps`` gives members their own cap (never above ``cap``); the others have ``cap``.
    """
    cap = min(cap, 1.0)
    limit = {i: min(cap, (caps or {}).get(i, cap)) for i in weights}
    positive = {i: w for i, w in weights.items() if w > 0}
    result = {i: 0.0 for i in weights}
    if not positive or k <= 0:
        return result
    open_ = dict(positive)
    budget = float(k)
    while open_:
        total = sum(open_.values())
        scale = budget / total
        capped = {i for i, w in open_.items() if w * scale >= limit[i] - EPSILON}
        if not capped:
            for i, w in open_.items():
                result[i] = w * scale
            break
        for i in capped:
            result[i] = limit[i]
            budget -= limit[i]
            del open_[i]
        if budget <= EPSILON:
            break
    return result


def systematic_sample(order: Sequence[int], pi: Mapping[int, float], u: float) -> list[int]:
    """The members of ``order`` under the points u, u+1, ... (u in [0, 1)), in order."""
    chosen = []
    point = u
    cumulative = 0.0
    for i in order:
        p = pi.get(i, 0.0)
        if p <= 0:
            continue
        cumulative += p
        # Certain members are always taken; the epsilon keeps float noise in the
        # running sum from adding a member whose share is a rounding error.
        if p >= 1.0 - EPSILON or point < cumulative - EPSILON:
            chosen.append(i)
            point += 1.0
    return chosen


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


def balances_under(pool: ThemePool, rules: Rules, now: float) -> Mapping[int, Balance]:
    """The balances under the fairness parameters in force (a period may change them)."""
    if rules.fairness == pool.rules.fairness:
        return pool.balances
    active = [m.id for m in pool.members.values() if m.eligible]
    ages = {m: (now - pool.members[m].joined) / DAY for m in active}
    return balances(pool.ledger, active, rules.fairness, ages, pool.themes_of)


def _one_per_category(
    ids: list[int],
    pool: ThemePool,
    rules: Rules,
    weights: Mapping[int, float],
    key: bytes,
    seed: tuple[object, ...],
) -> tuple[list[int], dict[int, float], dict[int, float]]:
    """One member per category: the coordinator's first (fixed), else a weighted draw.

    Also each one's weight and cap in the draw (weighted strategies): the
    category's total weight, and max_share x total / largest weight (at most 1),
    so over the minutes no member exceeds the cap and none is shown less.
    """
    rank = {slug: n for n, slug in enumerate(rules.order)}
    best: dict[str, tuple[float, int]] = {}
    total: dict[str, float] = {}
    largest: dict[str, float] = {}
    for i in ids:
        member = pool.members[i]
        category = member.category or f"#{i}"  # no category: a group of its own
        if rules.strategy == "fixed":
            score = -float(rank.get(member.slug, len(rank)))
        elif rules.strategy == "round-robin":
            score = keyed_unit(key, "category", *seed, i)  # weights play no part
        else:
            w = weights.get(i, 0.0)
            if w <= 0:
                continue
            total[category] = total.get(category, 0.0) + w
            largest[category] = max(largest.get(category, 0.0), w)
            # Efraimidis-Spirakis: the largest u^(1/w) wins with probability w / sum(w);
            # log(u) / w orders the same without underflow for tiny weights.
            score = math.log(max(keyed_unit(key, "category", *seed, i), 1e-300)) / w
        if category not in best or score > best[category][0]:
            best[category] = (score, i)
    draw_weights: dict[int, float] = {}
    caps: dict[int, float] = {}
    for category, (_, i) in best.items():
        if category in total:
            draw_weights[i] = total[category]
            caps[i] = min(1.0, rules.max_share * total[category] / largest[category])
    return sorted(i for _, i in best.values()), draw_weights, caps


def plan(
    pool: ThemePool, host_id: int, now: float, key: bytes, *, limit: int, explain: bool = False
) -> Plan:
    rules = pool.rules.at(now)
    limit = min(limit, rules.max_partners)
    host = pool.members.get(host_id) or MemberInfo(host_id, f"#{host_id}")
    checks: dict[int, tuple[Check, ...]] = {}
    eligible: list[int] = []
    for member in pool.members.values():
        if member.id == host_id:
            continue
        passed, ran = _checks(rules, host, member, now, all_checks=explain)
        if explain:
            checks[member.id] = ran
        if passed:
            eligible.append(member.id)
    eligible.sort()

    pinned: list[Slot] = []
    taken: set[int] = set()
    for pin in rules.pins:
        member_id = pool.ids_by_slug.get(pin.member)
        if (
            member_id is None
            or member_id not in eligible
            or member_id in taken
            or pin.position > limit
            or any(s.position == pin.position for s in pinned)
            or (pin.hosts and host.slug not in pin.hosts)
            or (pin.schedule is not None and not pin.schedule.active(now))
        ):
            continue
        pinned.append(Slot(member_id, pin.position, pinned=True, counts=pin.counts_in_ledger))
        taken.add(member_id)
    rest = [i for i in eligible if i not in taken]
    pinned_positions = {s.position for s in pinned}
    free = tuple(n for n in range(1, limit + 1) if n not in pinned_positions)

    fair = balances_under(pool, rules, now) if rules.strategy == "fair-exchange" else {}
    weights = {}
    for i in rest:
        w = rules.weights.get(pool.members[i].slug, 1.0)
        if rules.region.mode == "boost" and _same_region(rules, host, pool.members[i]):
            w *= rules.region.boost
        if rules.strategy == "fair-exchange" and i in fair:
            w *= fair[i].multiplier
        weights[i] = w

    day = int(now // DAY)
    draw_weights: Mapping[int, float] = weights
    caps: dict[int, float] = {}
    if rules.one_per_category:
        # A new representative per category every minute (plans live a minute).
        minute = (pool.theme_id, host_id, int(now // 60))
        kept, draw_weights, caps = _one_per_category(rest, pool, rules, weights, key, minute)
        if explain:
            note = Check("one-per-category", False, "another member of its category was drawn")
            for i in set(rest) - set(kept):
                checks[i] = (*checks[i], note)
        rest = kept
    if rules.region.mode == "tiered":
        near = [i for i in rest if _same_region(rules, host, pool.members[i])]
        groups = [near, [i for i in rest if i not in near]]
    else:
        groups = [rest]

    tiers = []
    remaining: float = len(free)
    for group in groups:
        take = min(remaining, len(group))
        remaining -= take
        if rules.strategy == "fixed":
            rank = {slug: n for n, slug in enumerate(rules.order)}
            slug_of = {i: pool.members[i].slug for i in group}
            ordered = sorted(group, key=lambda i: (rank.get(slug_of[i], len(rank)), slug_of[i]))
            tiers.append(Tier(tuple(ordered)))
        elif rules.strategy == "round-robin":
            order, offset = round_robin_order(
                group, key=key, host_id=host_id, theme_id=pool.theme_id
            )
            tiers.append(Tier(order, offset))
        else:
            permuted, variants, ranks = daily_orders(group, key, (pool.theme_id, day))
            probabilities = inclusion_probabilities(
                {i: draw_weights.get(i, weights[i]) for i in group},
                take,
                cap=rules.max_share if not caps else 1.0,
                caps=caps or None,
            )
            tiers.append(
                Tier(permuted, probabilities=probabilities, variants=variants, ranks=ranks)
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


def _draw_tier(p: Plan, tier: Tier, need: int, bucket: int, key: bytes, index: int) -> list[int]:
    if need <= 0 or not tier.order:
        return []
    strategy = p.rules.strategy
    if strategy == "fixed":
        return list(tier.order[:need])
    if strategy == "round-robin":
        return rotate(tier.order, tier.offset, bucket, need)
    # Any order keeps the inclusion probabilities exact; one of the day's
    # variants, started at a keyed point per host and bucket (its first member
    # ranked at that point or above), varies which partners appear together.
    mix = keyed_hash(key, "shift", p.theme_id, p.host_id, bucket, index)
    base = tier.variants[mix % VARIANTS]
    ranks = tier.ranks[mix % VARIANTS]
    point = (mix // VARIANTS) % _PRIME
    start = next((n for n, r in enumerate(ranks) if r >= point), 0)
    order = base[start:] + base[:start]
    u = keyed_unit(key, "draw", p.theme_id, p.host_id, bucket, index)
    chosen = systematic_sample(order, tier.probabilities, u)[:need]
    if strategy == "fair-exchange":
        # Those the network owes most get the best places; ties by the permutation.
        rank = {m: n for n, m in enumerate(tier.order)}
        chosen.sort(key=lambda i: (-p.weights.get(i, 0.0), rank[i]))
    return chosen


def draw(p: Plan, bucket: int, key: bytes) -> tuple[Slot, ...]:
    """The slots of one block; empty when fewer than the minimum were found."""
    picks: list[int] = []
    need = len(p.free_positions)
    for index, tier in enumerate(p.tiers):
        picks += _draw_tier(p, tier, need - len(picks), bucket, key, index)
    slots = list(p.pinned) + [
        Slot(member_id, position)
        for member_id, position in zip(picks, p.free_positions, strict=False)
    ]
    slots.sort(key=lambda s: s.position)
    # Close gaps left by positions nobody could fill, so positions stay 1..n.
    slots = [Slot(s.member_id, n, s.pinned, s.counts) for n, s in enumerate(slots, start=1)]
    if len(slots) < min(p.rules.min_partners, p.limit):
        return ()
    return tuple(slots)
