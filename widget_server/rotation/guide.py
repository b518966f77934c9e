"""A large theme's draw without walking all of it: block sums point the way, the
loop's floats decide.

``quick.take_places`` draws as ``sampling.systematic_sample`` does: it walks a
variant of the day's orders from a keyed point, sums the shares ``w * scale``
in float and takes the members under the points u, u + 1, ... .  Those floats
define the block, and the walk costs what the theme has members: about a
millisecond at 10,000 candidates, most of such a theme's first sight.

A :class:`Guide` holds the running sums of the weights in one variant's order
at every ``BLOCK``-th place (made once per theme part, day and variant; for all
16 variants 4 bytes a candidate).  ``guided_places`` estimates the walk's
running sum at any place from them, by a bisection over the blocks and a scan
inside one, and knows how far the estimate can be from the loop's float sum
(``margin``: a bound on the rounding of both, a few times 1e-11 at 10,000
candidates).  Where each decision the loop makes holds by more than that (the
sum before a taken member not past its point, the sum at it past), the loop's
answer is the guided one.  Where one does not (a point within the margin of a
member's edge: about one draw in ten billion), it answers None and the loop
runs.  So the places are the loop's, to the bit, at a cost that does not grow
with the theme.
"""

from __future__ import annotations

from array import array
from itertools import accumulate
from typing import Protocol

from widget_server.rotation.sampling import EPSILON

BLOCK = 32  # places per stored running sum
GUIDED_FROM = 300  # candidates; below, the loop costs less than the guide (even at ~290)
UNIT = 2.0**-52


class Guide:
    """The running sums of ``values`` in the order of one variant (``order``: places in
    the theme's candidates) at places 0, BLOCK, 2 * BLOCK, ...; the sum at any place
    is one of them plus at most BLOCK - 1 weights, added in the same order as the
    full running sum, so the same float."""

    __slots__ = ("values", "order", "blocks", "total")

    def __init__(self, values: array[float], order: memoryview) -> None:
        self.values = values
        self.order = order
        sums = list(accumulate(map(values.__getitem__, order), initial=0.0))
        self.blocks = array("d", sums[::BLOCK])
        self.total = sums[-1]

    def at(self, x: int) -> float:
        """The sum of the weights of the variant's first ``x`` places."""
        b, r = divmod(x, BLOCK)
        s = self.blocks[b]
        if r:
            values, order = self.values, self.order
            for t in range(b * BLOCK, x):
                s += values[order[t]]
        return s


class Walks(Protocol):
    """What the guide reads of a theme's orders of the day (``strategies.DailyOrders``)."""

    def walk_start(self, k: int, point: int) -> tuple[memoryview, int]: ...

    def index_in(self, k: int, j: int) -> int: ...

    def guide(self, k: int, values: array[float]) -> Guide: ...


def guided_places(
    orders: Walks,
    k: int,
    point: int,
    values: array[float],
    scale: float,
    at: int,
    u: float,
    limit: int,
) -> list[int] | None:
    """``quick.take_places(orders, k, point, values, scale, at, u, limit)`` from the
    variant's guide, or None where a point lies too near a member's edge to tell.

    Places are counted along the variant from where the walk starts (``start``),
    past its end round to its beginning (``start + n`` is the walk's end); the
    host (place ``at``, or none) adds no weight."""
    n = len(values)
    guide = orders.guide(k, values)
    order, start = orders.walk_start(k, point)
    if start >= n:
        start = 0
    blocks, add = guide.blocks, guide.at
    if at >= 0:
        host, host_weight = orders.index_in(k, at), values[at]
    else:
        host, host_weight = -1, 0.0

    def own(x: int) -> float:  # the weights of the variant's first x places, the host's not
        s = add(x)
        return s - host_weight if x > host else s

    def first_over(target: float, a: int, b: int) -> tuple[int, float, float] | None:
        """The least x in [a, b] (0 < a <= b <= n) with own(x) > target, own(x - 1) and
        own(x); None when own(b) is not."""
        lo_block, hi_block = -(-a // BLOCK), b // BLOCK
        while lo_block <= hi_block:  # the last block start at or below the target
            mid = (lo_block + hi_block) // 2
            s = blocks[mid]
            if (s - host_weight if mid * BLOCK > host else s) > target:
                hi_block = mid - 1
            else:
                lo_block = mid + 1
        x = max(a, hi_block * BLOCK)
        before = own(x - 1)
        s = add(x)
        while True:
            now = s - host_weight if x > host else s
            if now > target:
                return x, before, now
            if x >= b:
                return None
            before = now
            s += values[order[x]]
            x += 1

    tail = own(n) - own(start)  # from the walk's start to the variant's end
    margin = (6 * n + 8 * BLOCK + 64) * UNIT * (scale * guide.total + limit + 2)
    chosen: list[int] = []
    p = u
    lo = start  # the first place the next point may take (unrolled)
    last = start + n
    while lo < last:
        target = (p + EPSILON) / scale
        found = None
        if lo < n and tail > target:
            hit = first_over(target + own(start), lo + 1, n)
            if hit is not None:
                x, before, after = hit
                found = x, before - own(start), after - own(start)
        if found is None:
            first = max(1, lo + 1 - n)
            if first <= start:
                hit = first_over(target - tail, first, start)
                if hit is not None:
                    x, before, after = hit
                    found = x + n, tail + before, tail + after
        if found is None:
            # No member left past the point: so for the loop too, if clearly so.
            return chosen if scale * (tail + own(start)) - EPSILON < p - margin else None
        x, before, after = found
        y = x - 1  # the place taken (unrolled)
        place = order[y - n if y >= n else y]
        if (
            place == at
            or values[place] * scale <= 0.0
            or not scale * after - EPSILON > p + margin
            or (y > lo and not scale * before - EPSILON < p - margin)
        ):
            return None
        chosen.append(place)
        if len(chosen) == limit:
            return chosen
        p += 1.0
        lo = y + 1
    return chosen
