"""Keyed orders: the cycles of round-robin and the daily orders the weighted draw walks."""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence

from widget_server.rotation.guide import Guide
from widget_server.rotation.keyed import keyed_hash, keyed_hashes

# Keyed permutations per theme and day.  A systematic sample over one order
# only ever puts members together that lie about 1/k apart on it (with equal
# weights: two blocks all day); 16 orders let every pair of partners meet in
# some block over a day, and any order keeps the probabilities exact.
VARIANTS = 16
GUIDES_KEPT = 16 * 12  # guides of a day's orders: every variant of 12 arrays of weights
_PRIME = 2**61 - 1  # the affine maps below are permutations of the integers mod this prime


def round_robin_order(
    pool: Sequence[int],
    *,
    key: bytes,
    host_id: int,
    theme_id: int,
    encoded: Mapping[int, bytes] | None = None,
) -> tuple[tuple[int, ...], int]:
    """The cycle a host rotates through (a keyed order per host and theme) and its offset.
    ``encoded``: ``str(m).encode()`` of the members, made beforehand (a theme part's).

    The members by their keyed hash, ties by id: a stable sort by the hash alone of
    the members in id order (a key function in C, not a tuple made per member; a
    theme of 10,000 sorted three times as fast)."""
    h = keyed_hashes(key, ("rr-order", theme_id, host_id), pool, encoded)
    order = tuple(sorted(sorted(pool), key=h.__getitem__))
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


def round_robin(
    pool: Sequence[int], *, key: bytes, host_id: int, theme_id: int, bucket: int, limit: int
) -> list[int]:
    """``limit`` partners from ``pool`` for one bucket of the host's round-robin cycle."""
    order, offset = round_robin_order(pool, key=key, host_id=host_id, theme_id=theme_id)
    return rotate(order, offset, bucket, limit)


class DailyOrders:
    """A theme's keyed orders of the day, shared by all its hosts.

    Each member gets one keyed hash for the theme and day; variant k orders
    the members by an affine map ``(a_k * h_i + b_k) mod p`` of their hashes
    (keyed ``a_k``, ``b_k``; ties by id), which is its rank in that variant.
    The order of any group of members (a host's candidates, one region tier)
    is the variant filtered to the group, so the orders are made once per
    theme and day, not per host: a host's draw walks a variant from a keyed
    point on it and skips whoever is not its candidate.  Variants are made
    when first asked for and kept as compact arrays of places in ``ids`` (the
    members sorted); ranks are recomputed from the hashes when a walk looks
    for its start (a few of them, by bisection).
    """

    __slots__ = (
        "count",
        "first",
        "ids",
        "_guides",
        "_hashes",
        "_key",
        "_made",
        "_params",
        "_places",
        "_seed",
    )

    def __init__(
        self,
        members: Sequence[int],
        key: bytes,
        seed: tuple[object, ...],
        encoded: Mapping[int, bytes] | None = None,
    ) -> None:
        self._key = key
        self._seed = seed
        # The members; variants hold places in it.  A theme's shared candidates come
        # sorted already: that tuple is kept rather than copied (2,000 themes of ~100).
        self.ids: tuple[int, ...]
        if isinstance(members, tuple) and all(
            a < b for a, b in zip(members, members[1:], strict=False)
        ):
            self.ids = members
        else:
            self.ids = tuple(sorted(members))
        h = keyed_hashes(key, ("perm", *seed), self.ids, encoded)
        self._hashes = array("Q", [h[i] for i in self.ids])
        self.count = VARIANTS
        # All variants' places in one array, variant k at [k * n, (k + 1) * n), and
        # their (a_k, b_k): one object each rather than three per variant (2,000 themes).
        n = len(self.ids)
        code = "H" if n < 1 << 16 else "L"
        self._places = array(code, bytes(array(code).itemsize * n * VARIANTS))
        self._params = array("Q", bytes(8 * 2 * VARIANTS))
        self._made = bytearray(VARIANTS)
        # A large theme's guides to its walks (rotation/guide.py), per variant: made
        # for one array of weights, the theme part's these orders belong to.
        self._guides: dict[tuple[int, int], Guide] = {}  # (variant, id of the weights)
        self.first = self.variant(0)

    def _make(self, k: int) -> None:
        if self._made[k]:
            return
        mix = keyed_hash(self._key, "variant", *self._seed, k)
        a, b = mix % (_PRIME - 1) + 1, (mix >> 32) % _PRIME
        ranks = [(a * v + b) % _PRIME for v in self._hashes]
        # A stable sort of the places (ids ascending) by rank: ties by id.
        n = len(ranks)
        self._places[k * n : (k + 1) * n] = array(
            self._places.typecode, sorted(range(n), key=ranks.__getitem__)
        )
        self._params[2 * k], self._params[2 * k + 1] = a, b
        self._made[k] = 1

    def _variant(self, k: int) -> tuple[array[int], int, int]:
        """Variant ``k``'s places (a copy of its part of the array) and its (a, b)."""
        self._make(k)
        n = len(self.ids)
        return self._places[k * n : (k + 1) * n], self._params[2 * k], self._params[2 * k + 1]

    def _affine(self, k: int) -> tuple[int, int]:
        self._make(k)
        return self._params[2 * k], self._params[2 * k + 1]

    def prepare(self) -> None:
        """Make every variant now (a server's warm-up), not on a first sight: at a few
        hundred members a theme's 16 are a few kilobytes."""
        for k in range(self.count):
            self._make(k)

    def variant(self, k: int) -> tuple[int, ...]:
        """Order number ``k`` (0 <= k < count) of all the members; 0 is ``first``."""
        ids = self.ids
        return tuple([ids[j] for j in self._variant(k)[0]])

    def places(self, k: int, point: int) -> array[int]:
        """Variant ``k`` as places in ``ids``, from its first member ranked at ``point`` or
        above, round to the start: where a bucket's systematic sample walks."""
        order, a, b = self._variant(k)
        hashes = self._hashes

        def rank(j: int) -> int:
            return (a * hashes[j] + b) % _PRIME

        start = bisect_left(order, point, key=rank)
        return order[start:] + order[:start] if start else order

    def walk_start(self, k: int, point: int) -> tuple[memoryview, int]:
        """Variant ``k`` as places in ``ids`` (a view, not a copy) and the index in it of
        its first member ranked at ``point`` or above (``len`` when none): where
        ``places`` starts its walk, without making the walk."""
        order = self._order(k)
        return order, bisect_left(order, point, key=self._rank(k))

    def _order(self, k: int) -> memoryview:
        self._make(k)
        n = len(self.ids)
        return memoryview(self._places)[k * n : (k + 1) * n]

    def index_in(self, k: int, j: int) -> int:
        """The index of place ``j`` in variant ``k`` (found by its rank, not a search)."""
        order, rank = self._order(k), self._rank(k)
        at = bisect_left(order, rank(j), key=rank)
        while order[at] != j:  # members of equal rank (never seen): by place, as made
            at += 1
        return at

    def _rank(self, k: int) -> Callable[[int], int]:
        a, b = self._affine(k)
        hashes = self._hashes

        def rank(j: int) -> int:
            return (a * hashes[j] + b) % _PRIME

        return rank

    def guide(self, k: int, values: array[float]) -> Guide:
        """The guide to variant ``k``'s walks over ``values`` (rotation/guide.py), made
        once per variant and array of weights: the theme part's, and those of its
        groups (``drops.group_weights``: a category's or a region's hosts).  At most
        ``GUIDES_KEPT``; past that they are made again as asked for (0.5 ms each at
        10,000 members)."""
        found = self._guides.get((k, id(values)))
        if found is None or found.values is not values:
            if len(self._guides) >= GUIDES_KEPT:
                self._guides.clear()
            found = self._guides[(k, id(values))] = Guide(values, self._order(k))
        return found

    def first_place(self, member: int) -> tuple[int, int]:
        """A key that orders members as ``first`` does: their rank in variant 0, then
        their place in ``ids`` (as the variant breaks ties)."""
        return self.first_rank(bisect_left(self.ids, member))

    def first_rank(self, j: int) -> tuple[int, int]:
        """``first_place`` of the member at place ``j`` in ``ids``."""
        a, b = self._affine(0)
        return (a * self._hashes[j] + b) % _PRIME, j

    def walk(self, k: int, point: int) -> tuple[int, ...]:
        """Variant ``k`` from its first member ranked at ``point`` or above, round to
        the start: where a bucket's systematic sample walks."""
        ids = self.ids
        return tuple([ids[j] for j in self.places(k, point)])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DailyOrders):
            return NotImplemented
        return (self.ids, self._hashes, self._seed, self._key) == (
            other.ids,
            other._hashes,
            other._seed,
            other._key,
        )

    __hash__ = None  # type: ignore[assignment]


def walk_point(mix: int) -> int:
    """The keyed point a draw starts its walk at, from the draw's keyed mix."""
    return (mix // VARIANTS) % _PRIME


def daily_orders(
    group: Sequence[int], key: bytes, seed: tuple[object, ...]
) -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]:
    """The day's keyed order of ``group`` and all VARIANTS orders for the draw to pick from."""
    orders = DailyOrders(group, key, seed)
    return orders.first, tuple(orders.variant(k) for k in range(orders.count))
