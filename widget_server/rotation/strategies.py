"""Keyed orders: the cycles of round-robin and the daily orders the weighted draw walks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from widget_server.rotation.keyed import keyed_hash, keyed_hashes

# Keyed permutations per weighted tier and day.  A systematic sample over one
# order only ever puts members together that lie about 1/k apart on it (with
# equal weights: two blocks all day); 16 orders let every pair of partners
# meet in some block over a day, and any order keeps the probabilities exact.
VARIANTS = 16
_PRIME = 2**61 - 1  # the affine maps below are permutations of the integers mod this prime


def round_robin_order(
    pool: Sequence[int], *, key: bytes, host_id: int, theme_id: int
) -> tuple[tuple[int, ...], int]:
    """The cycle a host rotates through (a keyed order per host and theme) and its offset."""
    h = keyed_hashes(key, ("rr-order", theme_id, host_id), pool)
    order = tuple(sorted(pool, key=lambda m: (h[m], m)))
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
    """The day's keyed order of a group and, made when first asked for, its other orders.

    One keyed hash per member; variant k sorts the members by an affine map
    (a_k * h_i + b_k) mod p of their hashes, with keyed a_k, b_k.  A block walks
    one variant per bucket, so a plan that lives a minute needs one or two of
    the ``count``; they are made on demand and kept.
    """

    __slots__ = ("count", "first", "_h", "_key", "_made", "_seed")

    def __init__(
        self,
        group: Sequence[int],
        key: bytes,
        seed: tuple[object, ...],
        encoded: Mapping[int, bytes] | None = None,
    ) -> None:
        self._key = key
        self._seed = seed
        self._h = h = keyed_hashes(key, ("perm", *seed), group, encoded)
        self.first: tuple[int, ...] = tuple(sorted(group, key=h.__getitem__))
        self.count = 1 if len(group) < 3 else VARIANTS
        self._made: dict[int, tuple[int, ...]] = {0: self.first}

    def variant(self, k: int) -> tuple[int, ...]:
        """Order number ``k`` (0 <= k < count); 0 is ``first``."""
        found = self._made.get(k)
        if found is not None:
            return found
        h = self._h
        mix = keyed_hash(self._key, "variant", *self._seed, k)
        a, b = mix % (_PRIME - 1) + 1, (mix >> 32) % _PRIME
        rank = {i: (a * v + b) % _PRIME for i, v in h.items()}
        if len(set(rank.values())) == len(rank):  # no ties (the rule): sort by rank alone
            order = tuple(sorted(self.first, key=rank.__getitem__))
        else:
            order = tuple(sorted(self.first, key=lambda i: (rank[i], i)))
        self._made[k] = order
        return order

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DailyOrders):
            return NotImplemented
        return (self._h, self.first, self._seed, self._key) == (
            other._h,
            other.first,
            other._seed,
            other._key,
        )

    __hash__ = None  # type: ignore[assignment]


def daily_orders(
    group: Sequence[int], key: bytes, seed: tuple[object, ...]
) -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]:
    """The day's keyed order of ``group`` and all VARIANTS orders for the draw to pick from."""
    orders = DailyOrders(group, key, seed)
    return orders.first, tuple(orders.variant(k) for k in range(orders.count))
