"""Pure partner selection: values in, values out; no I/O, no request, no clock.

``select`` takes the eligible members of one theme and returns the partners a
host shows in one rotation bucket.  All randomness comes from a keyed hash
(``keyed.py``), so a selection is the same on every server process and can be
replayed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .keyed import keyed_hash, keyed_unit
from .strategies import STRATEGIES, round_robin

__all__ = [
    "STRATEGIES",
    "Candidate",
    "bucket_of",
    "keyed_hash",
    "keyed_unit",
    "round_robin",
    "select",
]


@dataclass(frozen=True)
class Candidate:
    """A member as selection sees it."""

    member_id: int
    category: str = ""


def bucket_of(timestamp: float, bucket_seconds: int) -> int:
    """The rotation bucket a moment falls into (buckets count from the Unix epoch)."""
    return int(timestamp // bucket_seconds)


def select(
    candidates: Iterable[Candidate],
    *,
    host_id: int,
    theme_id: int,
    bucket: int,
    limit: int,
    key: bytes,
    strategy: str = "round-robin",
) -> list[int]:
    """The member ids ``host_id`` shows in ``theme_id`` during ``bucket``, in order.

    ``candidates`` are the theme's eligible members (active, with an active
    membership); the host never shows itself, and no partner appears twice.
    """
    try:
        pick = STRATEGIES[strategy]
    except KeyError:
        raise ValueError(f"unknown strategy {strategy!r}") from None
    pool: Sequence[int] = sorted({c.member_id for c in candidates if c.member_id != host_id})
    return pick(pool, key=key, host_id=host_id, theme_id=theme_id, bucket=bucket, limit=limit)
