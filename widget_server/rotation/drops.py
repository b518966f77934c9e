"""What a host drops from its theme's draw, and the weights it keeps.

The general plan (``pipeline.plan``) of a host that drops more than itself (its
own category under the same-category rule, a blocklist, an excluded pair,
those outside its region under the region rule "only", the members pinned on
its block) or weighs its region more (region "boost") copies the theme's
candidates and weights without them.  The fused draw (``rotation/fused.py``)
takes the same numbers from these: the places a host drops (``excluded_places``),
the theme's weights with theirs set to 0.0 (``kept_weights``; a 0.0 changes no
sum, so the scale of ``excluding_scale`` is the plan's to the bit), a group's
weights made once for all its hosts (``group_weights``: a category's or a
region's), and the pins as the plan places them (``pins_of``, ``placed``).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence

from widget_server.rotation.plans import Slot
from widget_server.rotation.pool import MemberInfo, ThemePool
from widget_server.rotation.quick import Extremes, host_place
from widget_server.rotation.rules import Pin, Rules
from widget_server.rotation.sampling import EPSILON
from widget_server.rotation.shared import SharedPlan


def host_info(pool: ThemePool, host_id: int) -> MemberInfo:
    """The host as selection sees it; a host outside the theme excludes nobody."""
    return pool.members.get(host_id) or MemberInfo(host_id, f"#{host_id}")


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


def has_region(rules: Rules, host: MemberInfo) -> bool:
    """Whether ``host`` is in any region: ``pipeline._same_region`` is false for every
    member when the host has no postal code (or town) to compare."""
    return bool(host.postal_code if rules.region.by == "postal" else host.town)


def boosted_weight(shared: SharedPlan, rules: Rules, member_id: int) -> float:
    """A member's weight in its host's region under the region rule "boost", as the
    general plan weighs it: the rules' weight times the boost, times the fairness
    multiplier."""
    w = shared.base_weights[member_id] * rules.region.boost
    fair = shared.fair
    if member_id in fair:
        w *= fair[member_id].multiplier
    return w


def region_places(pool: ThemePool, shared: SharedPlan, rules: Rules, host_id: int) -> Sequence[int]:
    """The places in ``shared.candidates`` of the members in the host's region (none
    for a host without a postal code or town), as ``pipeline._same_region`` finds them."""
    host = host_info(pool, host_id)
    if not has_region(rules, host):
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
            candidates = shared.candidates
            for j in region_places(pool, shared, rules, host_id):
                w = boosted_weight(shared, rules, candidates[j])
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
    if mode in ("only", "boost") and has_region(rules, host):
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
        candidates = shared.candidates
        made = None
        for j in region_places(pool, shared, rules, host_id):
            w = boosted_weight(shared, rules, candidates[j])
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


def drop_pins(
    pool: ThemePool,
    shared: SharedPlan,
    rules: Rules,
    host_id: int,
    moment: float,
    limit: int,
    kept: array[float],
    pinned: list[Slot],
) -> int:
    """The host's pins (``pins_of``, among the members ``kept`` above 0.0) added to
    ``pinned``, their weights in ``kept`` set to 0.0: the draw leaves them out; how
    many."""
    taken = pins_of(pool, shared, rules, host_id, moment, limit, lambda j: kept[j] > 0.0, pinned)
    for j in taken:
        kept[j] = 0.0
    return len(taken)


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
