"""Exact weighted sampling without replacement.

``inclusion_probabilities`` finds target probabilities pi_i proportional to the
weights, summing to k, none above the cap (water-filling: members whose share
would exceed the cap are fixed at the cap and the rest is shared again).
``systematic_sample`` then draws a set in which member i appears with
probability exactly pi_i: lay the pi_i end to end on a line of length sum(pi),
and take the members under the points u, u+1, u+2, ... for one uniform u.
Since no pi_i exceeds 1, no member is hit twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

EPSILON = 1e-12


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
    if not caps and k > 0 and weights:
        # The common case in one pass: all weights positive and nobody reaches the
        # cap, so the loop below would stop at its first round.  The same sums and
        # products in the same order, so the same floats.
        values = list(weights.values())
        if min(values) > 0:
            scale = float(k) / sum(values)
            if max(values) * scale < cap - EPSILON:
                return dict(zip(weights, [w * scale for w in values], strict=True))
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


def systematic_sample(
    order: Sequence[int], pi: Mapping[int, float], u: float, limit: int | None = None
) -> list[int]:
    """The members of ``order`` under the points u, u+1, ... (u in [0, 1)), in order;
    with ``limit``, only the first ``limit`` of them."""
    chosen: list[int] = []
    if limit is not None and limit <= 0:
        return chosen
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
            if len(chosen) == limit:
                break
            point += 1.0
    return chosen
