"""A theme as selection sees it: its members and rules, compiled once per snapshot.

A snapshot holds one pool per theme, and through them one entry per membership
(200,000 at 100,000 members in 2,000 themes).  The pools the serving layer
builds keep their members as a :class:`Roster`: columns over data the snapshot
holds anyway (the members' own objects, the theme's index of its members, their
join times), so a membership costs some twenty bytes instead of a
``MemberInfo`` object and a dict entry in each of four mappings.  A
``MemberInfo`` is made when one is read.  Any other mapping of ``MemberInfo``
serves too (tests and the simulator build their pools from dicts).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from widget_server.rotation.fairness import Balance
from widget_server.rotation.rules import Rules

V = TypeVar("V")


# Slots: the simulator and tests hold many; the serving pools make them on reading.
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


class Profile(Protocol):
    """What selection reads of a member, the same in every theme (a ``Member`` is one)."""

    @property
    def slug(self) -> str: ...

    @property
    def category(self) -> str: ...

    @property
    def town(self) -> str: ...

    @property
    def postal_code(self) -> str: ...


class Roster(Mapping[int, MemberInfo]):
    """A theme's members as columns: member id -> row (``index``, often the very dict
    of the theme's memberships), each row's profile (the member's own object), whether
    it is eligible, when it joined and when its widget was last served (NaN: never).
    """

    __slots__ = ("_active", "_eligible", "_joined", "_profiles", "_seen", "_slugs", "index")

    def __init__(
        self,
        index: Mapping[int, int],
        profiles: Sequence[Profile],
        eligible: bytes,
        joined: Sequence[float],
        seen: array[float] | None = None,
    ) -> None:
        self.index = index  # iterates in row order
        self._profiles = profiles
        self._eligible = eligible
        self._joined = joined
        self._seen = seen  # None: nobody's widget served yet
        self._active: Mapping[int, int] | None = None
        self._slugs: dict[str, int] | None = None

    def __getitem__(self, member_id: int) -> MemberInfo:
        n = self.index[member_id]
        p = self._profiles[n]
        seen = self._seen[n] if self._seen is not None else math.nan
        return MemberInfo(
            member_id,
            p.slug,
            p.category,
            p.town,
            p.postal_code,
            bool(self._eligible[n]),
            self._joined[n],
            None if math.isnan(seen) else seen,
        )

    def __contains__(self, member_id: object) -> bool:
        return member_id in self.index

    def __iter__(self) -> Iterator[int]:
        return iter(self.index)

    def __len__(self) -> int:
        return len(self.index)

    def joined_at(self, member_id: int) -> float:
        return self._joined[self.index[member_id]]

    def eligible_ids(self) -> list[int]:
        """The eligible members' ids, in row order."""
        return [m for m, ok in zip(self.index, self._eligible, strict=True) if ok]

    def active_index(self) -> Mapping[int, int]:
        """Eligible member id -> its place among the eligible: ``index`` itself when all
        are (the common case), so the balances and theme counts share it."""
        if self._active is None:
            if all(self._eligible):
                self._active = self.index
            else:
                self._active = {m: n for n, m in enumerate(self.eligible_ids())}
        return self._active

    def slugs(self) -> dict[str, int]:
        """Slug -> member id (made on first use: only pins and the commands ask)."""
        if self._slugs is None:
            self._slugs = {p.slug: m for m, p in zip(self.index, self._profiles, strict=True)}
        return self._slugs

    def seen_at(self, seen: Mapping[int, float]) -> Roster:
        """This roster with the widgets last served at ``seen`` (member -> Unix time; the
        others never); itself when that is what it holds."""
        index = self.index
        column: array[float] | None = None
        for member_id, at in seen.items():
            n = index.get(member_id)
            if n is not None:
                if column is None:
                    column = array("d", [math.nan]) * len(index)
                column[n] = at
        if self._seen is None:
            same = column is None
        else:
            same = column is not None and column.tobytes() == self._seen.tobytes()
        if same:
            return self
        new = Roster(index, self._profiles, self._eligible, self._joined, column)
        new._active, new._slugs = self._active, self._slugs
        return new


def eligible_ids(members: Mapping[int, MemberInfo]) -> list[int]:
    """The eligible members of any pool's mapping, in its order."""
    if isinstance(members, Roster):
        return members.eligible_ids()
    return [m.id for m in members.values() if m.eligible]


def joined_at(members: Mapping[int, MemberInfo], member_id: int) -> float:
    if isinstance(members, Roster):
        return members.joined_at(member_id)
    return members[member_id].joined


class Keyed(Mapping[int, V]):
    """Values of an index's keys in a sequence beside it (an array of counts), so a
    pool's per-member figures share one index instead of a dict each."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: Mapping[int, int], values: Sequence[V]) -> None:
        self._index = index
        self._values = values

    def __getitem__(self, key: int) -> V:
        return self._values[self._index[key]]

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __iter__(self) -> Iterator[int]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


class Slugs(Mapping[str, int]):
    """A roster's slug -> id mapping, made on first use."""

    __slots__ = ("_roster",)

    def __init__(self, roster: Roster) -> None:
        self._roster = roster

    def __getitem__(self, slug: str) -> int:
        return self._roster.slugs()[slug]

    def __contains__(self, slug: object) -> bool:
        return slug in self._roster.slugs()

    def __iter__(self) -> Iterator[str]:
        return iter(self._roster.slugs())

    def __len__(self) -> int:
        return len(self._roster.slugs())


class KeptOrders(dict[tuple[int, bytes], Any]):
    """A pool's kept orders: a cache, never copied with the pool to another process
    (the simulator's workers) or by ``copy``: a copy starts empty (a walk's guide
    holds a view of its order, which does not pickle)."""

    def __reduce__(self) -> tuple[type[KeptOrders], tuple[()]]:
        return (KeptOrders, ())


@dataclass(frozen=True)
class ThemePool:
    theme_id: int
    rules: Rules
    members: Mapping[int, MemberInfo]
    ids_by_slug: Mapping[str, int]
    balances: Mapping[int, Balance] = field(default_factory=dict)  # under the base rules
    ledger: Mapping[int, tuple[float, float]] = field(default_factory=dict)  # (given, received)
    themes_of: Mapping[int, int] = field(default_factory=dict)  # active themes per member
    # The theme's keyed orders of the day, (day, key) -> ``strategies.DailyOrders``, kept
    # across the pools ``dataclasses.replace`` makes of this one (a ledger install:
    # new balances, the same members), so a new shared part walks the orders already
    # made for its candidates (``shared.SharedPlan.orders``) instead of making them
    # again (a theme of 10,000: 50 ms, on the event loop's first sights).
    kept_orders: dict[tuple[int, bytes], Any] = field(
        default_factory=KeptOrders, compare=False, repr=False
    )
