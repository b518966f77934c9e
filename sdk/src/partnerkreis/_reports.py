"""Stats reports: views and clicks given and received, per member or theme."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Self

from ._fields import JSON, flag, frozen, integer, obj, objects, optional_number, optional_text, text


def _raw() -> Any:
    return field(default_factory=lambda: frozen({}), repr=False, compare=False)


def _tally(data: JSON) -> dict[str, Any]:
    return {
        "views_given": integer(data, "views_given"),
        "views_received": integer(data, "views_received"),
        "clicks_given": integer(data, "clicks_given"),
        "clicks_received": integer(data, "clicks_received"),
        "balance": optional_number(data, "balance"),
    }


@dataclass(frozen=True, kw_only=True)
class Tally:
    """Views and clicks a member gave (on its pages) and received (on its partners').

    ``balance`` is received over given, None while nothing was given.
    """

    views_given: int = 0
    views_received: int = 0
    clicks_given: int = 0
    clicks_received: int = 0
    balance: float | None = None


@dataclass(frozen=True, kw_only=True)
class DayFigures(Tally):
    day: str
    raw: JSON = _raw()

    @classmethod
    def from_json(cls, data: JSON) -> Self:
        return cls(day=text(data, "day"), **_tally(data), raw=frozen(data))


@dataclass(frozen=True, kw_only=True)
class ThemeFigures(Tally):
    """A member's figures in one theme, with the structural bound of its balance."""

    theme: str
    bound: float | None = None
    structural_net_giver: bool = False
    days: tuple[DayFigures, ...] = ()
    raw: JSON = _raw()

    @classmethod
    def from_json(cls, data: JSON) -> Self:
        return cls(
            theme=text(data, "theme"),
            **_tally(data),
            bound=optional_number(data, "bound"),
            structural_net_giver=flag(data, "structural_net_giver"),
            days=tuple(DayFigures.from_json(d) for d in objects(data, "days")),
            raw=frozen(data),
        )


@dataclass(frozen=True, kw_only=True)
class MemberStats:
    """``GET /stats/members/{slug}``: one member, per theme and day."""

    member: str
    name: str = ""
    since: str | None = None  # the report's "from"
    until: str | None = None  # the report's "to"
    themes: tuple[ThemeFigures, ...] = ()
    raw: JSON = _raw()

    @classmethod
    def from_json(cls, data: JSON) -> Self:
        return cls(
            member=text(data, "member"),
            name=text(data, "name"),
            since=optional_text(data, "from"),
            until=optional_text(data, "to"),
            themes=tuple(ThemeFigures.from_json(t) for t in objects(data, "themes")),
            raw=frozen(data),
        )


@dataclass(frozen=True, kw_only=True)
class MemberFigures(Tally):
    """One member's line in a theme report."""

    member: str
    name: str = ""
    bound: float | None = None
    raw: JSON = _raw()

    @classmethod
    def from_json(cls, data: JSON) -> Self:
        return cls(
            member=text(data, "member"),
            name=text(data, "name"),
            **_tally(data),
            bound=optional_number(data, "bound"),
            raw=frozen(data),
        )


@dataclass(frozen=True, kw_only=True)
class ThemeStats:
    """``GET /stats/themes/{slug}``: totals, the spread of balances, and every member.

    ``totals`` has ``blocks_served``, ``blocks_viewed``, ``views``, ``clicks``;
    ``balances`` has ``members``, ``min``, ``median``, ``max``, ``gini_received``.
    """

    theme: str
    since: str | None = None
    until: str | None = None
    totals: JSON = field(default_factory=lambda: frozen({}))
    balances: JSON = field(default_factory=lambda: frozen({}))
    members: tuple[MemberFigures, ...] = ()
    raw: JSON = _raw()

    @classmethod
    def from_json(cls, data: JSON) -> Self:
        return cls(
            theme=text(data, "theme"),
            since=optional_text(data, "from"),
            until=optional_text(data, "to"),
            totals=obj(data, "totals"),
            balances=obj(data, "balances"),
            members=tuple(MemberFigures.from_json(m) for m in objects(data, "members")),
            raw=frozen(data),
        )
