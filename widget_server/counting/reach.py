"""Reach: the most exposure a member could have received, the simulator's rule-aware bound.

For every host's plan of a tick the simulator adds, per member, what the best
free place would have given it on that host's views (with the cap of
``max_share``, and without), or its pinned place.  A member's received exposure
against its reach tells whether it is short by the rules (at its bound) or by
the draw (docs/rotation.md, section 7).  ``add_reach`` is called by
``scenario.run_scenario`` once per theme and tick.
"""

from __future__ import annotations

from collections.abc import Mapping

from widget_server.counting.credit import E
from widget_server.rotation import Plan, ThemePool
from widget_server.rotation.rules import Rules
from widget_server.rotation.shared import SharedPlan


def _first_place(p: Plan, strategy: str) -> tuple[float, float]:
    """The most exposure per view a candidate of ``p`` can get: (with the cap, without).

    The best free place, and with the cap on at most ``max_share`` of the
    host's blocks.  Only the sampling strategies apply the cap (so the credit
    baseline does not).
    """
    sampling = p.rules.strategy in ("weighted", "fair-exchange") and strategy != "credit"
    cap = min(1.0, p.rules.max_share) if sampling else 1.0
    first = E[p.free_positions[0]] if p.free_positions else 0.0
    return cap * first, first


def _reach(p: Plan, pool: ThemePool, strategy: str) -> dict[int, tuple[float, float]]:
    """The most exposure per view each member can get on this host under the rules in force.

    Per member (with the cap, without the cap): a member cannot be on more
    than ``max_share`` of the host's blocks, and the best free place is all it
    can hold; a pinned member gets its pinned place (nothing if it does not count).
    """
    out: dict[int, tuple[float, float]] = {}
    for s in p.pinned:
        out[s.member_id] = (E[s.position], E[s.position]) if s.counts else (0.0, 0.0)
    weights = p.rules.weights
    reach = _first_place(p, strategy)
    for i in p.weights:
        # Without weights in the rules (the usual case) every candidate can be reached.
        if not weights or weights.get(pool.members[i].slug, 1.0) > 0:
            out[i] = reach
    return out


def add_reach(
    reach: dict[int, float],
    uncapped: dict[int, float],
    plans: Mapping[int, tuple[Plan, int]],
    pool: ThemePool,
    shared: SharedPlan,
    strategy: str,
) -> None:
    """Add every member's reach over this tick's views of all hosts (``_reach`` times views)
    to ``reach`` (with the cap) and ``uncapped`` (without): a day's figures, defaulting to 0.

    A host whose candidates are the theme's shared candidates but itself, with
    no pins and no weights (the usual case), gives every one of them the same
    reach: those are summed once and handed out in one pass over the
    candidates, less each host's own part, instead of a pass per host.
    """
    everyone_capped = everyone_free = 0.0
    own: dict[int, tuple[float, float]] = {}
    candidates = set(shared.candidates)
    size = len(candidates)
    # The first places of the last plan asked: the hosts of a tick share their rules.
    rules: Rules | None = None
    positions: tuple[int, ...] = ()
    capped = free = 0.0
    for host, (hp, n) in plans.items():
        inside = host in candidates
        # The plan's candidates are a subset of the shared ones without the host,
        # so the same count means the same members.
        if not hp.pinned and not hp.rules.weights and len(hp.weights) == size - inside:
            if hp.rules is not rules or hp.free_positions != positions:
                rules, positions = hp.rules, hp.free_positions
                capped, free = _first_place(hp, strategy)
            everyone_capped += n * capped
            everyone_free += n * free
            if inside:
                own[host] = (n * capped, n * free)
            continue
        for m, (r, f) in _reach(hp, pool, strategy).items():
            reach[m] += n * r
            uncapped[m] += n * f
    if everyone_free <= 0.0:
        return
    for m in shared.candidates:
        mine = own.get(m)
        if mine is None:  # less nothing: the same float
            reach[m] += everyone_capped
            uncapped[m] += everyone_free
        else:
            reach[m] += everyone_capped - mine[0]
            uncapped[m] += everyone_free - mine[1]
