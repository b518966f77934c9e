"""A theme's installed ledger as columns: what every serving process holds for the day.

At 100,000 members a process holds the figures and last-served days of some
200,000 memberships.  As dicts of tuples (an int, a tuple and two floats a
membership) that is about 56 MB; as the columns here, sorted by member id, about
8 MB.  Both are read-only mappings with the dicts' contents, so whatever reads a
theme's ledger (balances, deltas, ``explain``) reads either.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import ItemsView, Iterable, Iterator, Mapping
from datetime import date
from typing import Any, TypeVar

Pair = tuple[float, float]


def _sorted_ids(ids: array[int]) -> bool:
    return all(a < b for a, b in zip(ids, ids[1:], strict=False))


V = TypeVar("V")


class _Sorted(Mapping[int, V]):
    """A read-only mapping over a column of ids in ascending order: a value is made from
    its row (``_at``) when read."""

    __slots__ = ("_ids",)
    _ids: array[int]

    def _at(self, i: int) -> V:
        raise NotImplementedError

    def _find(self, key: object) -> int:
        ids = self._ids
        if type(key) is not int:  # a float or a str is no id here
            return -1
        i = bisect_left(ids, key)
        return i if i < len(ids) and ids[i] == key else -1

    def __getitem__(self, key: int) -> V:
        i = self._find(key)
        if i < 0:
            raise KeyError(key)
        return self._at(i)

    def get(self, key: int, default: Any = None) -> Any:
        i = self._find(key)
        return default if i < 0 else self._at(i)

    def __contains__(self, key: object) -> bool:
        return self._find(key) >= 0

    def __iter__(self) -> Iterator[int]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


class PackedFigures(_Sorted[Pair]):
    """member -> (given, received), as a column of member ids in ascending order and a
    column of each figure."""

    __slots__ = ("_given", "_received")

    def __init__(self, ids: array[int], given: array[float], received: array[float]) -> None:
        if not len(ids) == len(given) == len(received):
            raise ValueError("columns of different lengths")
        if not _sorted_ids(ids):
            raise ValueError("member ids not in ascending order, or repeated")
        self._ids, self._given, self._received = ids, given, received

    @classmethod
    def of(cls, figures: Mapping[int, Pair]) -> PackedFigures:
        """The columns of any mapping of figures."""
        if isinstance(figures, PackedFigures):
            return figures
        ids = sorted(figures)
        pairs = [figures[m] for m in ids]
        return cls(
            array("q", ids),
            array("d", [g for g, _ in pairs]),
            array("d", [r for _, r in pairs]),
        )

    @classmethod
    def from_rows(cls, rows: Iterable[Any]) -> PackedFigures:
        """From rows of (member, given, received) in any order (a later row of a member
        wins, as in a dict); ``TypeError``/``OverflowError`` for values that are no ids
        or figures."""
        rows = list(rows)
        ids = array("q", [m for m, _, _ in rows])
        given = array("d", [g for _, g, _ in rows])
        received = array("d", [r for _, _, r in rows])
        if _sorted_ids(ids):
            return cls(ids, given, received)
        return cls.of(dict(zip(ids, zip(given, received, strict=True), strict=True)))

    def _at(self, i: int) -> Pair:
        return self._given[i], self._received[i]

    def items(self) -> ItemsView[int, Pair]:
        return _PackedItems(self)

    def columns(self, members: Iterable[int]) -> tuple[list[float], list[float]]:
        """The given and received figures of ``members`` in their order (0.0 for a member
        without figures): what balances are computed from."""
        place = dict(zip(self._ids, range(len(self._ids)), strict=True))
        given, received = self._given, self._received
        rows = [place.get(m, -1) for m in members]
        return (
            [given[i] if i >= 0 else 0.0 for i in rows],
            [received[i] if i >= 0 else 0.0 for i in rows],
        )

    def __repr__(self) -> str:
        return f"PackedFigures({dict(self.items())!r})"


class _PackedItems(ItemsView[int, Pair]):
    _mapping: PackedFigures

    def __iter__(self) -> Iterator[tuple[int, Pair]]:
        packed = self._mapping
        return zip(packed._ids, zip(packed._given, packed._received, strict=True), strict=True)


class PackedDays(_Sorted[date]):
    """host -> the last day its widget was served, as a column of host ids in ascending
    order and one of day ordinals."""

    __slots__ = ("_days",)

    def __init__(self, ids: array[int], days: array[int]) -> None:
        if len(ids) != len(days):
            raise ValueError("columns of different lengths")
        if not _sorted_ids(ids):
            raise ValueError("host ids not in ascending order, or repeated")
        self._ids, self._days = ids, days

    @classmethod
    def of(cls, days: Mapping[int, date]) -> PackedDays:
        """The columns of any mapping of days."""
        if isinstance(days, PackedDays):
            return days
        ids = sorted(days)
        return cls(array("q", ids), array("l", [days[h].toordinal() for h in ids]))

    @classmethod
    def from_rows(cls, rows: Iterable[Any]) -> PackedDays:
        """From rows of (host, ISO day) in any order (a later row of a host wins);
        ``TypeError``/``ValueError``/``OverflowError`` for values that are no ids or days."""
        rows = list(rows)
        ids = array("q", [h for h, _ in rows])
        days = array("l", [date.fromisoformat(d).toordinal() for _, d in rows])
        if _sorted_ids(ids):
            return cls(ids, days)
        return cls.of(dict(zip(ids, map(date.fromordinal, days), strict=True)))

    def _at(self, i: int) -> date:
        return date.fromordinal(self._days[i])

    def items(self) -> ItemsView[int, date]:
        return _DayItems(self)

    def __repr__(self) -> str:
        return f"PackedDays({dict(self.items())!r})"


class _DayItems(ItemsView[int, date]):
    _mapping: PackedDays

    def __iter__(self) -> Iterator[tuple[int, date]]:
        packed = self._mapping
        return zip(packed._ids, map(date.fromordinal, packed._days), strict=True)
