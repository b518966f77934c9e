"""Pure partner selection: values in, values out; no I/O, no request, no clock.

    rules.py      the coordinator's rules: model, parsing, validation
    schedule.py   windows of dates, weekdays and hours in a time zone
    pool.py       a theme as selection sees it: ThemePool, MemberInfo
    shared.py     the part of a theme's plans every host shares (SharedPlan)
    plans.py      the values a selection is made of: Plan, Tier, Slot, Check
    pipeline.py   plan (filters, pins, weights) and draw (one block)
    explain.py    explain: one selection replayed, every candidate's checks
    sampling.py   exact weighted sampling without replacement
    strategies.py round-robin cycles, the day's keyed orders of the weighted draw
    fairness.py   exposure, the fair-exchange ledger and multipliers
    keyed.py      the keyed hash all "randomness" comes from

All randomness comes from a keyed hash, so a selection is the same on every
server process and can be replayed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from widget_server.rotation.explain import explain
from widget_server.rotation.keyed import keyed_hash, keyed_unit
from widget_server.rotation.pipeline import MemberInfo, Plan, Slot, ThemePool, draw, plan
from widget_server.rotation.rules import (
    DEFAULT_RULES,
    STRATEGY_NAMES,
    Rules,
    parse_rules,
    referenced_members,
)
from widget_server.rotation.strategies import round_robin

__all__ = [
    "DEFAULT_RULES",
    "STRATEGY_NAMES",
    "Candidate",
    "MemberInfo",
    "Plan",
    "Rules",
    "Slot",
    "ThemePool",
    "bucket_of",
    "draw",
    "explain",
    "keyed_hash",
    "keyed_unit",
    "parse_rules",
    "plan",
    "referenced_members",
    "round_robin",
    "select",
]


@dataclass(frozen=True)
class Candidate:
    """A member as the simple ``select`` sees it."""

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
    """The member ids ``host_id`` shows during ``bucket`` under default rules of ``strategy``.

    A convenience over ``plan`` and ``draw`` for callers without a rule set; the
    host never shows itself, and no partner appears twice.
    """
    if strategy not in STRATEGY_NAMES:
        raise ValueError(f"unknown strategy {strategy!r}")
    members = {
        c.member_id: MemberInfo(c.member_id, f"m{c.member_id}", c.category) for c in candidates
    }
    pool = ThemePool(
        theme_id=theme_id,
        rules=Rules(strategy=strategy, max_partners=max(limit, 0), min_partners=0),
        members=members,
        ids_by_slug={m.slug: m.id for m in members.values()},
    )
    chosen = plan(pool, host_id, 0.0, key, limit=limit)
    return [s.member_id for s in draw(chosen, bucket, key)]
