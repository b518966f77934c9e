"""Keyed orders: the cycles of round-robin and the daily orders the weighted draw walks."""

from __future__ import annotations

from collections.abc import Sequence

from widget_server.rotation.keyed import keyed_hash

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


def round_robin(
    pool: Sequence[int], *, key: bytes, host_id: int, theme_id: int, bucket: int, limit: int
) -> list[int]:
    """``limit`` partners from ``pool`` for one bucket of the host's round-robin cycle."""
    order, offset = round_robin_order(pool, key=key, host_id=host_id, theme_id=theme_id)
    return rotate(order, offset, bucket, limit)


def daily_orders(
    group: Sequence[int], key: bytes, seed: tuple[object, ...]
) -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]:
    """The day's keyed order of ``group`` and VARIANTS orders for the draw to pick from.

    One keyed hash per member and per variant: variant k sorts the members by
    an affine map (a_k * h_i + b_k) mod p of their hashes, with keyed a_k, b_k.
    """
    h = {i: keyed_hash(key, "perm", *seed, i) for i in group}
    permuted = tuple(sorted(group, key=h.__getitem__))
    if len(group) < 3:
        return permuted, (permuted,)
    variants = [permuted]
    for k in range(1, VARIANTS):
        mix = keyed_hash(key, "variant", *seed, k)
        a, b = mix % (_PRIME - 1) + 1, (mix >> 32) % _PRIME
        variants.append(tuple(sorted(group, key=lambda i: ((a * h[i] + b) % _PRIME, i))))
    return permuted, tuple(variants)
