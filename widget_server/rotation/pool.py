"""A theme as selection sees it: its members and rules, compiled once per snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from widget_server.rotation.fairness import Balance
from widget_server.rotation.rules import Rules


# Slots: a snapshot holds one MemberInfo per membership (200,000 at 100,000 members).
@dataclass(frozen=True, slots=True)
class MemberInfo:
    """A member of the theme as selection sees it."""

    id: int
    slug: str
    category: str = ""
    town: str = ""
    postal_code: str = ""
    eligible: bool = True  # active member with an active membership
    joined: float = 0.0  # when it joined the theme (Unix time)
    last_seen: float | None = None  # when its widget was last served (Unix time)


@dataclass(frozen=True)
class ThemePool:
    theme_id: int
    rules: Rules
    members: Mapping[int, MemberInfo]
    ids_by_slug: Mapping[str, int]
    balances: Mapping[int, Balance] = field(default_factory=dict)  # under the base rules
    ledger: Mapping[int, tuple[float, float]] = field(default_factory=dict)  # (given, received)
    themes_of: Mapping[int, int] = field(default_factory=dict)  # active themes per member
