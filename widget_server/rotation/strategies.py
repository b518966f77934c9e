"""Selection strategies: order a pool of eligible partners for one host and bucket."""

from __future__ import annotations

from collections.abc import Sequence

from .keyed import keyed_hash


def round_robin(
    pool: Sequence[int], *, key: bytes, host_id: int, theme_id: int, bucket: int, limit: int
) -> list[int]:
    """``limit`` partners from ``pool`` for one bucket, rotating through a fixed cycle.

    The pool is put into a per-(host, theme) order by the keyed hash, and each
    bucket starts one place further along that order.  Over ``len(pool)``
    consecutive buckets every partner holds every position exactly once.
    """
    n = len(pool)
    if n == 0 or limit <= 0:
        return []
    order = sorted(pool, key=lambda m: (keyed_hash(key, "rr-order", theme_id, host_id, m), m))
    offset = keyed_hash(key, "rr-offset", theme_id, host_id) % n
    start = (offset + bucket) % n
    return [order[(start + i) % n] for i in range(min(limit, n))]


STRATEGIES = {"round-robin": round_robin}
