"""Orders for the strategies that do not sample: round-robin and fixed."""

from __future__ import annotations

from collections.abc import Sequence

from widget_server.rotation.keyed import keyed_hash


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
