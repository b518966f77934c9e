"""The common weighted plan and draw, made from the theme's shared part without a
per-host copy of it.

Most hosts of a weighted or fair-exchange theme exclude only themselves: their
candidates are the theme's shared candidates minus the host, their weights the
shared weights minus the host's, and their inclusion probabilities those weights
times one scale (nobody reaches the cap).  ``pipeline.plan`` made that host's
part as copies of the theme's (a dict of weights, a dict of probabilities) and
``draw`` walked ~100 candidates in Python; at 100,000 members that walk was
most of a first sight.  Here the host's part is a few numbers over the shared
part, and the draw is done with C-level passes (``accumulate`` and bisection)
that compute the same floats in the same order as the Python loop of
``sampling.systematic_sample``: the same block, to the bit, at a fraction of
the cost.  Anything less common (caps that bind, pins, regions, blocklists,
schedules, one per category) takes the general path.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping, Sequence
from itertools import accumulate
from typing import Any

from widget_server.rotation.guide import GUIDED_FROM, guided_places
from widget_server.rotation.sampling import EPSILON
from widget_server.rotation.strategies import DailyOrders


class Column(Mapping[int, float]):
    """Sorted ids and their floats in an array: a theme's shared weights, a fifth of a
    dict's memory (2,000 themes of ~100 candidates each).  Lookups bisect."""

    __slots__ = ("ids", "array")

    def __init__(self, ids: tuple[int, ...], values: array[float]) -> None:
        self.ids = ids  # sorted
        self.array = values

    def __getitem__(self, key: int) -> float:
        ids = self.ids
        at = bisect_left(ids, key)
        if at < len(ids) and ids[at] == key:
            return self.array[at]
        raise KeyError(key)

    def get(self, key: int, default: Any = None) -> Any:
        ids = self.ids
        at = bisect_left(ids, key)
        return self.array[at] if at < len(ids) and ids[at] == key else default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, int) and host_place(self.ids, key) >= 0

    def __iter__(self) -> Iterator[int]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def as_dict(self) -> dict[int, float]:
        """A dict of the same items in the same order (what a plan copies)."""
        return dict(zip(self.ids, self.array, strict=True))


class Without(Mapping[int, float]):
    """``base`` without ``host``, in ``base``'s order: a host's weights, uncopied."""

    __slots__ = ("base", "host", "_len")

    def __init__(self, base: Mapping[int, float], host: int, present: bool | None = None) -> None:
        """``present``: whether ``host`` is in ``base``, when the caller knows."""
        self.base = base
        self.host = host
        self._len = len(base) - (host in base if present is None else present)

    def __getitem__(self, key: int) -> float:
        if key == self.host:
            raise KeyError(key)
        return self.base[key]

    def get(self, key: int, default: Any = None) -> Any:
        if key == self.host:
            return default
        return self.base.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key != self.host and key in self.base

    def __iter__(self) -> Iterator[int]:
        return iter(self.keys_list())

    def __len__(self) -> int:
        return self._len

    def keys_list(self) -> list[int]:
        """The keys in order, copied in C: the base's, then the host taken out (what
        iterating gives; a generator skipping the host cost a step per key)."""
        keys = list(self.base)
        if self.host in self.base:
            keys.remove(self.host)
        return keys


class HostOrder(Sequence[int]):
    """``order`` without ``host``: a host's order of the day, made into a tuple only
    when read (explain, tests); a draw walks the theme's orders themselves.  Copying
    the theme's order per host touched every member's id object, which at 100,000
    members costs a cache miss each."""

    __slots__ = ("order", "host", "_made")

    def __init__(self, order: tuple[int, ...], host: int) -> None:
        self.order = order
        self.host = host
        self._made: tuple[int, ...] | None = None

    def _tuple(self) -> tuple[int, ...]:
        if self._made is None:
            host = self.host
            self._made = tuple([i for i in self.order if i != host])
        return self._made

    def __getitem__(self, index: Any) -> Any:
        return self._tuple()[index]

    def __len__(self) -> int:
        return len(self._tuple())

    def __bool__(self) -> bool:
        return len(self.order) > 1 or (bool(self.order) and self.order[0] != self.host)

    def __iter__(self) -> Iterator[int]:
        return iter(self._tuple())

    def index(self, value: Any, start: int = 0, stop: int | None = None) -> int:
        return self._tuple().index(value, start, *(() if stop is None else (stop,)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, HostOrder):
            other = other._tuple()
        return isinstance(other, tuple) and self._tuple() == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._tuple())


class Scaled(Without):
    """``base`` without ``host``, each weight times ``scale``: a host's inclusion
    probabilities, computed when read (``w * scale``, as ``inclusion_probabilities``
    computes them).  ``weight_array`` holds the weights in the order of ``base`` (the
    theme's candidates, sorted) and ``at`` the host's place among them (-1: none)."""

    __slots__ = ("at", "scale", "weight_array")

    def __init__(
        self, base: Mapping[int, float], host: int, scale: float, values: array[float], at: int
    ) -> None:
        super().__init__(base, host, at >= 0)
        self.scale = scale
        self.weight_array = values
        self.at = at

    def __getitem__(self, key: int) -> float:
        return super().__getitem__(key) * self.scale

    def get(self, key: int, default: Any = None) -> Any:
        if key == self.host or key not in self.base:
            return default
        return self.base[key] * self.scale


def host_place(candidates: Sequence[int], host: int) -> int:
    """The host's place among the sorted candidates, or -1."""
    at = bisect_left(candidates, host)
    return at if at < len(candidates) and candidates[at] == host else -1


class Extremes:
    """The least and the greatest of a theme part's weights, and the next of each
    (where they are: a host's own weight is not among its candidates'): the host's
    least and greatest weight without two passes over all of them."""

    __slots__ = ("low", "low_at", "low_next", "high", "high_at", "high_next")

    def __init__(self, values: array[float]) -> None:
        self.low = self.high = 0.0
        self.low_at = self.high_at = -1
        self.low_next = self.high_next = 0.0
        if values:
            self.low, self.high = min(values), max(values)
            self.low_at, self.high_at = values.index(self.low), values.index(self.high)
        if len(values) > 1:
            self.low_next = min(values[: self.low_at] + values[self.low_at + 1 :])
            self.high_next = max(values[: self.high_at] + values[self.high_at + 1 :])

    def without(self, at: int) -> tuple[float, float]:
        """min and max of the weights without place ``at`` (-1: all; not all of them)."""
        return (
            self.low_next if at == self.low_at else self.low,
            self.high_next if at == self.high_at else self.high,
        )


def quick_scale(
    values: array[float], at: int, k: int, cap: float, extremes: Extremes | None = None
) -> float | None:
    """The scale of ``inclusion_probabilities`` over ``values`` without place ``at`` when
    it takes its one-pass branch (all weights positive, nobody at the cap), else None.
    ``extremes``: those of ``values``, when the caller keeps them.

    The sum runs over the same values in the same order as that branch's, so the
    scale is the same float.
    """
    rest = values[:at] + values[at + 1 :] if at >= 0 else values
    if k <= 0 or not rest:
        return None
    low, high = (min(rest), max(rest)) if extremes is None else extremes.without(at)
    if low <= 0:
        return None
    scale = float(k) / sum(rest)
    if not high * scale < min(cap, 1.0) - EPSILON:
        return None
    return scale


def quick_sample(
    orders: DailyOrders, k: int, point: int, probabilities: Scaled, u: float, limit: int
) -> list[int]:
    """``systematic_sample(orders.walk(k, point), probabilities, u, limit)`` for orders
    over the shared candidates: the members at the places ``quick_places`` finds."""
    ids = orders.ids
    return [ids[j] for j in quick_places(orders, k, point, probabilities, u, limit)]


def quick_places(
    orders: DailyOrders, k: int, point: int, probabilities: Scaled, u: float, limit: int
) -> list[int]:
    """The places in ``orders.ids`` (the shared candidates, sorted) of the members
    ``systematic_sample(orders.walk(k, point), probabilities, u, limit)`` takes, in the
    order taken: ``take_places`` over the probabilities' weights, scale and host place."""
    return take_places(
        orders,
        k,
        point,
        probabilities.weight_array,
        probabilities.scale,
        probabilities.at,
        u,
        limit,
    )


def owed_first(chosen: list[int], values: array[float], orders: DailyOrders) -> None:
    """Fair exchange's order of the places ``chosen``, in place: those the network owes
    most (the heaviest weight at their place) first, ties by the day's first order
    (``first_rank``), the key the general draw sorts its member ids by.  Without a
    tie the weights alone give that order (heaviest first), and no rank is made."""
    owed = [values[j] for j in chosen]
    if len(set(owed)) == len(owed):
        chosen.sort(key=values.__getitem__, reverse=True)
        return
    rank = orders.first_rank
    chosen.sort(key=lambda j: (-values[j], rank(j)))


def take_places(
    orders: DailyOrders,
    k: int,
    point: int,
    values: array[float],
    scale: float,
    at: int,
    u: float,
    limit: int,
    *,
    guided: bool = True,
) -> list[int]:
    """The places in ``orders.ids`` of the members a systematic sample takes from the
    walk of variant ``k`` from ``point``, each member at place ``j`` with probability
    ``values[j] * scale`` (the host, at place ``at`` or -1 for none, with none), found
    by bisection over the running sums.  ``guided``: a large theme's walk may be told
    by the variant's guide, made for ``values`` (the theme part's own weights; not
    for a copy of them made for one host, whose guide would be made for every host).

    The running sums are the loop's own (``accumulate`` adds in the same order;
    the host adds 0.0, which changes no sum), and each point is looked for from
    the member after the last one taken, as the loop goes on from there.  No
    probability here reaches 1 - EPSILON (``quick_scale``), so the loop's
    "certain member" branch never applies.
    """
    if limit <= 0:
        return []
    if guided and len(values) >= GUIDED_FROM:  # a large theme: the same places, by its guide
        told = guided_places(orders, k, point, values, scale, at, u, limit)
        if told is not None:
            return told
    places = orders.places(k, point)  # a fresh array: ours to change
    if at >= 0:
        # The host's share is 0.0, which changes no running sum and is never taken:
        # leaving it out of the walk gives the loop's sums and picks.
        places.remove(at)
    # p = w * scale, summed as the loop sums; "cumulative - EPSILON" is computed only
    # where the bisection looks (its key), the same floats as the loop's.
    # (Comprehensions: a bound float method called per item costs twice as much.)
    shares = [values[j] * scale for j in places]
    sums = list(accumulate(shares))
    bound = EPSILON.__rsub__  # c -> c - EPSILON
    n = len(sums)
    chosen: list[int] = []
    point_ = u
    lo = 0
    while True:
        i = bisect_right(sums, point_, lo, key=bound)
        while i < n and shares[i] <= 0.0:  # the loop skips members without a share
            i += 1
        if i >= n:
            return chosen
        chosen.append(places[i])
        if len(chosen) == limit:
            return chosen
        point_ += 1.0
        lo = i + 1
