"""The network's most numerous rows kept compact: memberships per theme, placements, members.

At 100,000 members in 2,000 themes a snapshot holds some 200,000 memberships and
as many placements.  As one object each (a tuple and a float per membership, a
``Placement`` with its id and a dict entry per placement) they took about 50 MB
of a server's memory; as columns of machine numbers they take about 10.  Both
are read-only mappings with the interface the snapshot always had, and make the
familiar value when one is read.

Each member is a ``core.models.MemberRecord`` (what selection reads as
attributes, its own text as one UTF-8 ``bytes``): ``serving/indexed.py``'s
``Members`` makes the ``Member`` when one is read.

:class:`ThemeMembers` keeps its members' index (member id -> row) as a plain
dict that the theme's pool shares (``rotation/pool.py``'s ``Roster``), so a
theme's members are indexed once, not once per structure.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from widget_server.core.models import MEMBERSHIP_STATUSES, Placement, PlacementOptions

# A membership as the snapshot reads it: (status, joined as Unix time).
Joined = tuple[str, float]
# A placement as a full load gives it: (id, member id, theme id, options).
PlacementRow = tuple[int, int, int, PlacementOptions]

# Status codes of the memberships' column; a status this code does not know (the
# schema CHECKs them) gets a code of its own rather than being lost.
_STATUSES: list[str] = list(MEMBERSHIP_STATUSES)
_CODES: dict[str, int] = {s: n for n, s in enumerate(_STATUSES)}


def _code(status: str) -> int:
    code = _CODES.get(status)
    if code is None:
        code = _CODES[status] = len(_STATUSES)
        _STATUSES.append(status)
    return code


class ThemeMembers(Mapping[int, Joined]):
    """One theme's memberships: member id -> (status, joined), in the storage's order.

    ``index`` maps member id -> row; ``codes`` and ``joined`` are the rows' status
    codes and Unix times.  Immutable: a change makes a new one (``of``).
    """

    __slots__ = ("codes", "index", "joined")

    def __init__(self, index: dict[int, int], codes: bytes, joined: array[float]) -> None:
        self.index = index
        self.codes = codes
        self.joined = joined

    @classmethod
    def of(cls, rows: Iterable[tuple[int, str, float]]) -> ThemeMembers:
        """From (member id, status, joined) rows; a member seen again keeps its first
        place and takes the later values (as a dict's assignment does)."""
        index: dict[int, int] = {}
        codes = bytearray()
        joined = array("d")
        for member_id, status, at in rows:
            n = index.get(member_id)
            if n is not None:
                codes[n] = _code(status)
                joined[n] = at
                continue
            index[member_id] = len(codes)
            codes.append(_code(status))
            joined.append(at)
        return cls(index, bytes(codes), joined)

    def __getitem__(self, member_id: int) -> Joined:
        n = self.index[member_id]
        return _STATUSES[self.codes[n]], self.joined[n]

    def status(self, member_id: int) -> str | None:
        """The member's status here, or None when it has no membership."""
        n = self.index.get(member_id)
        return None if n is None else _STATUSES[self.codes[n]]

    def statuses(self) -> Iterator[str]:
        """The rows' statuses, in order."""
        names = _STATUSES
        return (names[c] for c in self.codes)

    def __contains__(self, member_id: object) -> bool:
        return member_id in self.index

    def __iter__(self) -> Iterator[int]:
        return iter(self.index)

    def __len__(self) -> int:
        return len(self.index)


EMPTY_THEME = ThemeMembers({}, b"", array("d"))


def _typecode(values: Sequence[int]) -> str:
    """A signed array type that holds every id: 4 bytes when they fit, else 8."""
    return "i" if min(values) >= -(2**31) and max(values) < 2**31 else "q"


class Placements(Mapping[int, Placement]):
    """Placements by id as columns: sorted ids, their member and theme ids, and an index
    into the few distinct display options; a ``Placement`` is made when one is read.

    About 25 bytes a placement instead of some 130 (object, id and dict entry); a
    lookup bisects the ids (a few hundred nanoseconds more than a dict's).
    """

    __slots__ = ("_ids", "_members", "_options", "_themes", "_which")

    def __init__(
        self,
        ids: array[int],
        members: array[int],
        themes: array[int],
        which: array[int],
        options: tuple[PlacementOptions, ...],
    ) -> None:
        self._ids = ids  # ascending
        self._members = members
        self._themes = themes
        self._which = which  # row -> index into options
        self._options = options

    @classmethod
    def of(cls, placements: Iterable[Placement]) -> Placements:
        return cls.of_rows((p.id, p.member_id, p.theme_id, p.options) for p in placements)

    @classmethod
    def of_rows(cls, placements: Iterable[PlacementRow]) -> Placements:
        """From (id, member id, theme id, options) rows: a full load's, no ``Placement``
        made (``load_network(compact=True)``)."""
        rows = list(placements)
        ids = [p[0] for p in rows]
        if any(a >= b for a, b in zip(ids, ids[1:], strict=False)):
            # Not in ascending order (a load gives them so): sorted, and one place per
            # id, the last placement of an id winning as a dict's assignment does.
            rows = sorted({p[0]: p for p in rows}.values(), key=lambda p: p[0])
            ids = [p[0] for p in rows]
        if not rows:
            return cls(array("i"), array("i"), array("i"), array("B"), ())
        # Equal options are mostly one object already (the loader shares them): looked
        # up by identity first, so each distinct object is hashed once.
        distinct: dict[PlacementOptions, int] = {}
        by_object: dict[int, int] = {}
        which: list[int] = []
        for p in rows:
            options = p[3]
            n = by_object.get(id(options))
            if n is None:
                n = by_object[id(options)] = distinct.setdefault(options, len(distinct))
            which.append(n)
        members = [p[1] for p in rows]
        themes = [p[2] for p in rows]
        return cls(
            array(_typecode(ids), ids),
            array(_typecode(members), members),
            array(_typecode(themes), themes),
            array("B" if len(distinct) <= 1 << 8 else "L", which),
            tuple(distinct),
        )

    def _row(self, placement_id: object) -> int:
        ids = self._ids
        if not isinstance(placement_id, int):
            return -1
        n = bisect_left(ids, placement_id)
        return n if n < len(ids) and ids[n] == placement_id else -1

    def _make(self, n: int) -> Placement:
        return Placement(
            self._ids[n], self._members[n], self._themes[n], self._options[self._which[n]]
        )

    def __getitem__(self, placement_id: int) -> Placement:
        n = self._row(placement_id)
        if n < 0:
            raise KeyError(placement_id)
        return self._make(n)

    def get(self, placement_id: int, default: Any = None) -> Any:
        n = self._row(placement_id)
        return default if n < 0 else self._make(n)

    def __contains__(self, placement_id: object) -> bool:
        return self._row(placement_id) >= 0

    def __iter__(self) -> Iterator[int]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def rows(self) -> list[Placement]:
        """Every placement, in id order (made in one pass, no lookups)."""
        return [self._make(n) for n in range(len(self._ids))]

    def merged(self, top: Mapping[int, Any]) -> Placements:
        """These placements with ``top``'s changed ones (``GONE`` values: removed), as
        columns again (``indexed.Layered`` merges its changes so)."""
        kept = {p.id: p for p in self.rows()}
        for placement_id, placement in top.items():
            if isinstance(placement, Placement):
                kept[placement_id] = placement
            else:
                kept.pop(placement_id, None)
        return Placements.of(kept.values())
