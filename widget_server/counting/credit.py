"""The 1:1 credit baseline: the plain exchange ``simulate`` compares the engine with.

A coordinator asking whether the fair-exchange rules are fair wants to see them
beside something simpler.  One of the two baselines is a plain 1:1 credit
exchange: every place a host shows earns it credit worth the place's exposure,
the partner shown there pays the same, and each block shows the partners with
the most credit (pins stay where the rules put them; one block per host and
rotation bucket, settled times its views, as the engine's blocks are).

It lives beside the engine (:mod:`~widget_server.counting.scenario`, strategy
``credit``) because it is only ever played on the simulator's traffic, from
the same plans, so the comparison differs in the choice of partners alone.  It
is not a second fairness formula: no rules select it, the server never serves
or counts by it, and its credits are not the fair-exchange credit integral
(:mod:`~widget_server.rotation.fairness`); they live only in one run.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import compress

from widget_server.rotation import Plan
from widget_server.rotation.fairness import exposure

# Exposure by place, 1 to 12 (index 0 unused): the engine's counting in scenario.py
# reads the same table.
E = [0.0] + [exposure(r) for r in range(1, 13)]

Credits = Callable[[Mapping[int, float]], Sequence[float]]  # a plan's candidates' credits


def credit_candidates(p: Plan) -> tuple[list[int], Credits]:
    """The candidates for a credit plan's free places (the pins stay), in the plan's
    order, and how to read their credits (at C speed: a block reads them all)."""
    pinned = {s.member_id for s in p.pinned}
    candidates = [i for i in p.weights if i not in pinned] if pinned else list(p.weights)
    if len(candidates) > 1:
        return candidates, operator.itemgetter(*candidates)
    return candidates, lambda credit: [credit[i] for i in candidates]


def _richest(candidates: Sequence[int], values: Sequence[float], bucket: int, k: int) -> list[int]:
    """The ``k`` richest of ``candidates`` (their credits: ``values``), richest first; ties
    by a fixed shuffle per bucket, then by the order of the candidates.

    Only a candidate at least as rich as the k-th richest can be among them, so the
    tie-break keys are made for those alone (the same picks as ranking them all).
    """
    if k <= 0:
        return []
    rich: Iterable[int] = range(len(values))
    if k < len(values):
        least = sorted(values, reverse=True)[k - 1]
        rich = compress(rich, map(least.__le__, values))
    ranked = [
        (values[n], (candidates[n] * 7919 + bucket) % 65_521, -n, candidates[n]) for n in rich
    ]
    ranked.sort(reverse=True)
    return [i for *_, i in ranked[:k]]


def credit_draw(
    p: Plan,
    credit: dict[int, float],
    host: int,
    bucket: int,
    views: int,
    candidates: tuple[list[int], Credits] | None = None,
) -> list[tuple[int, int, bool, bool]]:
    """The 1:1 credit baseline: pins stay, the richest candidates fill the free places.

    Credits are exposure: the host earns what each place it shows is worth and
    the partner shown there pays the same, so credit is 1:1 in the unit the
    ratios are measured in.  The block is seen ``views`` times (its bucket's views).
    ``candidates``: ``credit_candidates(p)``, when the caller keeps them for the plan.
    """
    ids, credits = candidates or credit_candidates(p)
    slots = [(s.member_id, s.position) for s in p.pinned]
    pinned = {s.member_id: s.counts for s in p.pinned}
    picks = _richest(ids, credits(credit), bucket, len(p.free_positions))
    slots += list(zip(picks, p.free_positions, strict=False))
    slots.sort(key=lambda s: s[1])
    # A pin that does not count in the ledger earns and costs no credit either.
    shown = [(m, n, pinned.get(m, True), m in pinned) for n, (m, _) in enumerate(slots, start=1)]
    for m, n, counts, _ in shown:
        if not counts:
            continue
        credit[host] += views * E[n]
        credit[m] -= views * E[n]
    return shown
