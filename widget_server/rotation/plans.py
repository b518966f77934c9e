"""The values a selection is made of: a plan's tiers, its slots, the checks explain
reports.  Plain frozen values, shared by ``pipeline`` (which makes them), ``quick``
and ``explain``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from widget_server.rotation.rules import Rules
from widget_server.rotation.strategies import DailyOrders


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str = ""


class Slot(NamedTuple):
    """One place of a block.  A named tuple: a block makes a few per first sight, and
    a tuple is made at a fraction of a frozen dataclass's cost."""

    member_id: int
    position: int  # 1-based
    pinned: bool = False
    counts: bool = True  # does its exposure count in the fairness ledger?


@dataclass(frozen=True)
class Tier:
    """Members drawn from together; tiers are filled in order (region: same town first).

    ``order`` is what the strategy walks: the coordinator's order (fixed), the
    host's cycle (round-robin) or the theme's keyed order of the day filtered to
    the tier (weighted).
    """

    order: Sequence[int]  # a tuple, or a host's view of the theme's (quick.HostOrder)
    offset: int = 0  # round-robin: where the cycle starts
    probabilities: Mapping[int, float] = field(default_factory=dict)  # weighted only
    # Weighted only: the theme's keyed orders of the day (over more members than the
    # tier: the draw skips those without a probability); each bucket walks one.
    orders: DailyOrders | None = None


@dataclass(frozen=True)
class Plan:
    theme_id: int
    host_id: int
    rules: Rules  # the rules in force (a period's, if one is active)
    limit: int
    pinned: tuple[Slot, ...]
    free_positions: tuple[int, ...]
    tiers: tuple[Tier, ...]
    weights: Mapping[int, float]  # base weight x region boost x fairness multiplier
    checks: Mapping[int, tuple[Check, ...]]  # filled only when explaining
    day: int  # the permutation of the systematic sample changes daily
