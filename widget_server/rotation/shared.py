"""The part of a theme's plans that is the same for every host: made once, shared by all.

A plan (``pipeline.plan``) is the theme's candidates minus what one host
excludes, with weights and inclusion probabilities.  Most of that does not
depend on the host: who is active, who is in its schedule and widget-active,
the base weights and fairness multipliers, the coordinator's order.  A
:class:`SharedPlan` holds it for the rules in force and for a span of time
(the serving layer uses the rotation bucket), so the first sight of a host
only adds its own part: dropping the host itself, its pair exclusions and
blocklist, its category, its region, and the keyed orders of the day (keyed
of the theme, shared by its hosts: ``orders``; a host only filters them and
walks them from its own keyed point).

A SharedPlan is valid for every moment in ``[start, end]``: the checks that
change with time are decided for the whole span where they cannot change
within it (a member's activity gate is monotonic in time), and left as
``recheck`` for the plan to decide at its own moment where they can (members
with availability windows, and those whose activity gate runs out inside the
span).  So a plan made with a SharedPlan is exactly the plan made without one.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from widget_server.rotation.fairness import Balance, balances, multipliers
from widget_server.rotation.guide import BLOCK, GUIDED_FROM
from widget_server.rotation.pool import MemberInfo, ThemePool, eligible_ids, joined_at
from widget_server.rotation.quick import Column, Extremes
from widget_server.rotation.rules import Rules
from widget_server.rotation.schedule import Schedule
from widget_server.rotation.strategies import VARIANTS, DailyOrders

DAY = 86_400


@dataclass(frozen=True)
class SharedPlan:
    theme_id: int
    rules: Rules  # the rules in force over the span (a period's, if one is active)
    start: float  # valid for moments in [start, end]
    end: float
    candidates: tuple[int, ...]  # sorted ids: active, and not excluded by time for the span
    recheck: frozenset[int]  # candidates whose schedule or activity gate is decided per plan
    weights: Column  # base weight x fairness multiplier, per candidate (sorted)
    base_weights: Mapping[int, float]  # the rules' weight alone (region boost: it goes between)
    fair: Mapping[int, Balance]  # the balances under the rules in force (fair exchange)
    by_category: Mapping[str, frozenset[int]]  # per non-empty category (same-category rule)
    fixed_order: tuple[int, ...]  # the coordinator's order, then by slug (fixed strategy)
    windows: Mapping[int, tuple[Schedule, ...]]  # availability windows of rechecked members
    # The theme's keyed orders of the day over the candidates, made when a plan first
    # asks (day and key -> orders); a cache, not part of the value.
    daily: dict[tuple[int, bytes], DailyOrders] = field(
        default_factory=dict, compare=False, repr=False
    )
    # The pool's orders kept across its ledger installs (``ThemePool.kept_orders``).
    kept: dict[tuple[int, bytes], DailyOrders] | None = field(
        default=None, compare=False, repr=False
    )
    # The weights' extremes (``quick.Extremes``), made when a quick plan first asks.
    # The candidates' ids as bytes (``encoded``) and their categories (``categories``),
    # made when a round-robin or one-per-category host first asks.
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # Per category, the places of its members in ``candidates`` (the same-category
    # rule's first sights, ``drops.excluded_places``), made when first asked for.
    places_of: dict[str, tuple[int, ...]] = field(default_factory=dict, compare=False, repr=False)
    # Per region (``drops.region_key``), the places of its members: the region rules
    # "only", "boost" and "tiered", made at once when a host is first drawn under them.
    regions: dict[str, tuple[int, ...]] = field(default_factory=dict, compare=False, repr=False)

    def footprint(self) -> int:
        """About how many bytes this part holds with a day's orders of all 16 variants
        (made during the warm-up): the render cache's measure of it.  Per candidate
        its id and weight (16 bytes) and in the orders its hash, its place in each
        variant and in the first order (48), and in a large theme its walks' guides;
        the balances are the pool's.  A categorized candidate of a theme with the
        same-category rule counts twice: in its category's set and, once a host of it
        is drawn, among its category's places; under the region rule "only" each
        candidate's place is kept in its region's."""
        n = len(self.candidates)
        extra = len(self.base_weights) * 40 + sum(len(v) for v in self.by_category.values()) * 80
        # A category's or a region's weights (``drops.group_weights``) and their guides.
        groups = sum(1 for k in self.memo if k.startswith("group:"))
        extra += groups * (n * 8 + (VARIANTS * (n // BLOCK + 1) * 8 if n >= GUIDED_FROM else 0))
        if self.rules.region.mode != "off":  # each candidate's place in its region
            extra += n * 40
        if self.rules.strategy == "round-robin" or self.rules.one_per_category:
            extra += n * 100  # the candidates' ids as bytes
        if self.rules.one_per_category:
            extra += n * 80  # and their categories
        if n >= GUIDED_FROM:  # the walks' guides (rotation/guide.py): 16 of n / 32 sums
            extra += VARIANTS * (300 + (n // BLOCK + 1) * 8)
        return 2_000 + n * (16 + 48) + extra + len(self.fixed_order) * 8

    def values(self) -> array[float]:
        """The weights in the candidates' (sorted) order, as doubles."""
        return self.weights.array

    def extremes(self) -> Extremes:
        """The least and greatest weights (and the next of each): made once."""
        found = self.memo.get("extremes")
        if found is None:
            found = self.memo["extremes"] = Extremes(self.weights.array)
        assert isinstance(found, Extremes)
        return found

    def category_places(self, category: str) -> tuple[int, ...]:
        """The places in ``candidates`` of the category's members (none: an empty or
        unknown category, or a theme without the same-category rule)."""
        found = self.places_of.get(category)
        if found is None:
            candidates = self.candidates
            found = self.places_of[category] = tuple(
                sorted(bisect_left(candidates, i) for i in self.by_category.get(category, ()))
            )
        return found

    def encoded(self) -> dict[int, bytes]:
        """``str(i).encode()`` of every candidate, made once: what the keyed hashes of a
        round-robin host's order hash per member (``strategies.round_robin_order``)."""
        found = self.memo.get("encoded")
        if found is None:
            found = self.memo["encoded"] = {i: str(i).encode() for i in self.candidates}
        encoded: dict[int, bytes] = found
        return encoded

    def categories(self, pool: ThemePool) -> dict[int, str]:
        """Every candidate's category (of ``pool``, the pool this part was made of), made
        once: what one per category groups by (``pipeline._one_per_category``)."""
        found = self.memo.get("categories")
        if found is None:
            members = pool.members
            found = self.memo["categories"] = {i: members[i].category for i in self.candidates}
        categories: dict[int, str] = found
        return categories

    def covers(self, rules: Rules, now: float) -> bool:
        return rules is self.rules and self.start <= now <= self.end

    def orders(self, key: bytes, day: int) -> DailyOrders:
        """The theme's orders of ``day``: made once for all its hosts, and taken over
        from the pool's kept orders when made for the same candidates (a ledger
        install makes a new part over the same members).  Only the latest two days
        are kept (a snapshot can live for days)."""
        found = self.daily.get((day, key))
        if found is None:
            kept = self.kept.get((day, key)) if self.kept is not None else None
            if kept is not None and kept.ids == self.candidates:
                found = kept  # made for the same candidates by a part before this one
            else:
                found = DailyOrders(self.candidates, key, (self.theme_id, day))
                if self.kept is not None:
                    self.kept[(day, key)] = found
                    while len(self.kept) > 2:
                        del self.kept[min(self.kept)]
            if len(self.daily) >= 2:
                del self.daily[min(self.daily)]
            self.daily[(day, key)] = found
        return found


def balances_under(pool: ThemePool, rules: Rules, now: float) -> Mapping[int, Balance]:
    """The balances under the fairness parameters in force (a period may change them)."""
    if rules.fairness == pool.rules.fairness:
        return pool.balances
    active = eligible_ids(pool.members)
    ages = {m: (now - joined_at(pool.members, m)) / DAY for m in active}
    return balances(pool.ledger, active, rules.fairness, ages, pool.themes_of)


def timely(rules: Rules, member: MemberInfo, windows: tuple[Schedule, ...], now: float) -> bool:
    """The checks that change with time, at ``now``: availability windows and activity."""
    if windows and not any(s.active(now) for s in windows):
        return False
    if rules.inactive_after_days is not None and member.slug not in rules.activity_exempt:
        seen = max(member.last_seen or 0.0, member.joined)
        return now - seen <= rules.inactive_after_days * DAY
    return True


def shared_plan(pool: ThemePool, rules: Rules, start: float, end: float) -> SharedPlan:
    """The host-independent part of ``pool``'s plans under ``rules`` for moments in [start, end].

    ``rules`` must be ``pool.rules.at(now)`` for those moments.  When a period
    changes the fairness parameters, the balances depend on the exact moment
    (members' ages), so the span shrinks to ``start`` alone.
    """
    fair: Mapping[int, Balance] = {}
    if rules.strategy == "fair-exchange":
        if rules.fairness != pool.rules.fairness:
            end = start
        fair = balances_under(pool, rules, start)
    by_slug: dict[str, list[Schedule]] = {}
    for a in rules.availability:
        by_slug.setdefault(a.member, []).append(a.schedule)
    gate = rules.inactive_after_days
    limit = gate * DAY if gate is not None else 0.0
    candidates: list[int] = []
    recheck: set[int] = set()
    windows: dict[int, tuple[Schedule, ...]] = {}
    members = pool.members
    if not by_slug and gate is None:  # nothing changes with time (the common case)
        candidates = eligible_ids(members)
    for c in members.values() if by_slug or gate is not None else ():
        if not c.eligible:
            continue
        own = by_slug.get(c.slug)
        if own:
            windows[c.id] = tuple(own)
            recheck.add(c.id)
        if gate is not None and c.slug not in rules.activity_exempt:
            seen = max(c.last_seen or 0.0, c.joined)
            # now - seen only grows with now (floats round monotonically).
            if end - seen <= limit:
                pass  # active over the whole span
            elif not start - seen <= limit:
                continue  # inactive over the whole span
            else:
                recheck.add(c.id)
        candidates.append(c.id)
    candidates.sort()
    # w = base weight, then x multiplier: with no weights set, 1.0 x m is m exactly.
    factor = multipliers(fair) if fair else {}
    if rules.weights:
        base_weights = {i: rules.weights.get(members[i].slug, 1.0) for i in candidates}
        weights = dict(base_weights)
        for i in candidates if factor else ():
            if i in factor:
                weights[i] *= factor[i]
    else:
        base_weights = dict.fromkeys(candidates, 1.0)
        weights = {i: factor.get(i, 1.0) for i in candidates}
    # What only some rules need is made only for them.
    by_category: dict[str, set[int]] = {}
    for i in candidates if rules.exclude_same_category else ():
        category = members[i].category
        if category:
            by_category.setdefault(category, set()).add(i)
    fixed: list[int] = []
    if rules.strategy == "fixed":
        rank = {slug: n for n, slug in enumerate(rules.order)}
        slug_of = {i: members[i].slug for i in candidates}
        fixed = sorted(candidates, key=lambda i: (rank.get(slug_of[i], len(rank)), slug_of[i]))
    ids = tuple(candidates)
    return SharedPlan(
        theme_id=pool.theme_id,
        rules=rules,
        start=start,
        end=end,
        candidates=ids,
        recheck=frozenset(recheck),
        weights=Column(ids, array("d", weights.values())),
        base_weights=base_weights if rules.region.mode == "boost" else {},
        fair=fair,
        by_category={k: frozenset(v) for k, v in by_category.items()},
        fixed_order=tuple(fixed),
        windows={i: windows.get(i, ()) for i in recheck},
        kept=pool.kept_orders,
    )
