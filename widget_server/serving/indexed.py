"""The network as the snapshot indexes it: immutable, shared between snapshots.

:class:`Network` holds themes, members, placements, rule sets and memberships
indexed for serving; a change makes a new one that shares every part it does
not change (:class:`Layered` mappings: a large base plus the entries changed
since).  :class:`Lazy` builds per-theme values (pools, directory lists) on
first use.  ``serving/snapshot.py`` puts these together with the ledger.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from widget_server.core.models import Member, MemberRecord, Membership, Placement, RuleSet, Theme
from widget_server.network.rules import theme_rules
from widget_server.rotation import Rules
from widget_server.serving.columns import EMPTY_THEME, Joined, Placements, ThemeMembers
from widget_server.storage import ChangeLog, NetworkData
from widget_server.storage.dialect import unix_time

V = TypeVar("V")


def _row(ms: Membership) -> tuple[int, str, float]:
    """A membership as its theme's columns take it: (member, status, joined as Unix time)."""
    return ms.member_id, sys.intern(ms.status), unix_time(ms.joined)


class Gone:
    """Marks an entry a change removed (``Layered``)."""


GONE = Gone()
# Changed entries a layered mapping carries before it is merged into a new base.
LAYER_LIMIT = 2_000


class Layered(Mapping[int, V], Generic[V]):
    """A large mapping shared between snapshots, with the few entries changed since on top.

    A change costs what it changes, not a copy of 100,000 members; every
    ``LAYER_LIMIT`` changed entries the two are merged into a new base.
    """

    __slots__ = ("_base", "_top", "_len")

    def __init__(self, base: Mapping[int, V], top: dict[int, V | Gone] | None = None) -> None:
        self._base = base
        self._top: dict[int, V | Gone] = top or {}
        size = len(base)
        for key, value in self._top.items():
            size += (value is not GONE) - (key in base)
        self._len = size

    def __getitem__(self, key: int) -> V:
        if self._top:
            value = self._top.get(key, self)
            if value is not self:
                if isinstance(value, Gone):
                    raise KeyError(key)
                return value  # type: ignore[return-value]
        return self._base[key]

    def get(self, key: int, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        if self._top and key in self._top:
            return self._top[key] is not GONE
        return key in self._base

    def __iter__(self) -> Iterator[int]:
        top = self._top
        yield from (k for k in self._base if k not in top)
        yield from (k for k, v in top.items() if v is not GONE)

    def __len__(self) -> int:
        return self._len

    def updated(self, changes: Mapping[int, V | Gone]) -> Layered[V]:
        top = {**self._top, **changes}
        if len(top) <= LAYER_LIMIT:
            return Layered(self._base, top)
        merge = getattr(self._base, "merged", None)
        if merge is not None:  # a base kept as columns merges into columns again
            return Layered(merge(top))
        merged = dict(self._base)
        for key, value in top.items():
            if isinstance(value, Gone):
                merged.pop(key, None)
            else:
                merged[key] = value
        return Layered(merged)


def _layered(mapping: Mapping[int, V]) -> Layered[V]:
    return mapping if isinstance(mapping, Layered) else Layered(mapping)


class Members(Mapping[int, Member]):
    """Member id -> ``Member``, kept as compact records (``core.models.MemberRecord``); the
    ``Member`` is made when one is read.  ``record`` reads a record itself: what the
    status checks and the pools need, without making a ``Member``."""

    __slots__ = ("records",)

    def __init__(self, records: Mapping[int, MemberRecord]) -> None:
        self.records = records

    @classmethod
    def of(cls, members: Iterable[Member], records: Iterable[MemberRecord] = ()) -> Members:
        found = {m.id: MemberRecord(m) for m in members}
        found.update((r.id, r) for r in records)
        return cls(found)

    def record(self, member_id: int) -> MemberRecord | None:
        return self.records.get(member_id)

    def with_slug(self, slug: str) -> Member | None:
        """The member with ``slug``, looked for record by record (the demo's pages)."""
        found = next((r for r in self.records.values() if r.slug == slug), None)
        return None if found is None else found.member()

    def __getitem__(self, member_id: int) -> Member:
        return self.records[member_id].member()

    def get(self, member_id: int, default: Any = None) -> Any:
        record = self.records.get(member_id)
        return default if record is None else record.member()

    def __contains__(self, member_id: object) -> bool:
        return member_id in self.records

    def __iter__(self) -> Iterator[int]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def updated(self, changes: Mapping[int, Member | Gone]) -> Members:
        """These members with ``changes`` (``GONE``: removed) on top (``Layered``)."""
        records = {
            m: value if isinstance(value, Gone) else MemberRecord(value)
            for m, value in changes.items()
        }
        return Members(_layered(self.records).updated(records))


@dataclass(frozen=True)
class Network:
    """The network as serving needs it, indexed; immutable.  A change makes a new one
    that shares every part it does not change (``changed``)."""

    version: int
    themes: Mapping[int, Theme]
    themes_by_slug: Mapping[str, Theme]
    members: Members
    placements: Mapping[int, Placement]
    rule_sets: Mapping[int, RuleSet]  # the current version per theme
    rules: Mapping[int, Rules]  # parsed, per theme (defaults where none is stored)
    # theme -> member -> its membership there, in the storage's order (columns)
    memberships: Mapping[int, ThemeMembers]
    member_themes: Mapping[int, tuple[int, ...]]  # member -> themes it has a membership in

    @classmethod
    def of(cls, data: NetworkData) -> Network:
        """Index a full load (at 100,000 members: a second or two; run it in a thread)."""
        rule_sets = {r.theme_id: r for r in data.rule_sets}
        rows: dict[int, list[tuple[int, str, float]]] = {}
        member_themes: dict[int, list[int]] = {}
        for ms in data.memberships:
            rows.setdefault(ms.theme_id, []).append(_row(ms))
            member_themes.setdefault(ms.member_id, []).append(ms.theme_id)
        for member_id, theme_id, status, joined in data.joined:  # a compact load's
            rows.setdefault(theme_id, []).append((member_id, status, joined))
            member_themes.setdefault(member_id, []).append(theme_id)
        memberships = {t: ThemeMembers.of(found) for t, found in rows.items()}
        del rows
        themes = {t.id: t for t in data.themes}
        return cls(
            version=data.version,
            themes=themes,
            themes_by_slug={t.slug: t for t in data.themes},
            members=Members.of(data.members, data.records),
            placements=Placements.of_rows(data.placement_rows)
            if data.placement_rows
            else Placements.of(data.placements),
            rule_sets=rule_sets,
            rules={t: theme_rules(rule_sets.get(t)) for t in themes},
            memberships=memberships,
            member_themes={m: tuple(ts) for m, ts in member_themes.items()},
        )

    @classmethod
    def empty(cls) -> Network:
        return cls.of(NetworkData(0, (), (), (), (), ()))

    def changed(self, part: NetworkData, log: ChangeLog) -> tuple[Network, set[int]]:
        """This network with what ``log`` names replaced by ``part`` (as read now), and
        the themes whose pools that changes."""
        affected = set(log.themes)
        for member_id in log.members:
            affected.update(self.member_themes.get(member_id, ()))
        affected.update(ms.theme_id for ms in part.memberships)

        found = {m.id: m for m in part.members}
        members = self.members.updated({m: found.get(m, GONE) for m in log.members})

        now_in: dict[int, dict[int, Joined]] = {m: {} for m in log.members}
        for ms in part.memberships:
            _, status, joined = _row(ms)
            now_in.setdefault(ms.member_id, {})[ms.theme_id] = (status, joined)
        memberships = dict(self.memberships)
        for theme_id in affected:
            inner = dict(memberships.get(theme_id, EMPTY_THEME))
            for member_id, theirs in now_in.items():
                if theme_id in theirs:
                    inner[member_id] = theirs[theme_id]  # in place: the order stays
                else:
                    inner.pop(member_id, None)
            memberships[theme_id] = _theme_members(inner.items())
        member_themes = _layered(self.member_themes).updated(
            {m: tuple(theirs) if theirs else GONE for m, theirs in now_in.items()}
        )

        themes = dict(self.themes)
        rule_sets = dict(self.rule_sets)
        rules = dict(self.rules)
        for theme_id in log.themes:
            themes.pop(theme_id, None)
            rule_sets.pop(theme_id, None)
            rules.pop(theme_id, None)
        themes.update((t.id, t) for t in part.themes)
        rule_sets.update((r.theme_id, r) for r in part.rule_sets)
        for theme_id in log.themes:
            if theme_id in themes:
                rules[theme_id] = theme_rules(rule_sets.get(theme_id))

        placements = self.placements
        if log.placements or log.members:
            changed: dict[int, Any] = {p: GONE for p in log.placements}
            changed.update((p.id, p) for p in part.placements)
            placements = _layered(self.placements).updated(changed)
        network = Network(
            version=log.version,
            themes=themes,
            themes_by_slug={t.slug: t for t in themes.values()}
            if log.themes
            else self.themes_by_slug,
            members=members,
            placements=placements,
            rule_sets=rule_sets,
            rules=rules,
            memberships=memberships,
            member_themes=member_themes,
        )
        return network, affected

    def active_themes(self, member_id: int) -> int:
        """In how many themes the member is active (one equal share across the network)."""
        member = self.members.record(member_id)
        if member is None or member.status != "active":
            return 0
        return sum(
            1
            for theme_id in self.member_themes.get(member_id, ())
            if self.memberships[theme_id].status(member_id) == "active"
        )


def _theme_members(items: Iterable[tuple[int, Joined]]) -> ThemeMembers:
    return ThemeMembers.of((m, status, joined) for m, (status, joined) in items)


class Lazy(Mapping[int, V], Generic[V]):
    """Theme id -> a value built on first use and kept (pools, directory lists).

    Only the event loop's thread keeps values (``make`` may build one in a worker
    thread for the loop to keep); ``built`` may start with the values of an
    earlier snapshot that are still right.
    """

    def __init__(
        self, keys: Mapping[int, Any], build: Callable[[int], V], built: dict[int, V]
    ) -> None:
        self._keys = keys
        self._build = build
        self.built = built

    def __getitem__(self, key: int) -> V:
        value = self.built.get(key)
        if value is None:
            if key not in self._keys:
                raise KeyError(key)
            value = self.built[key] = self._build(key)
        return value

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def make(self, key: int) -> V:
        """The value of ``key`` built anew and not kept (any thread may call it)."""
        return self._build(key)

    def is_built(self, key: int) -> bool:
        return key in self.built

    def __iter__(self) -> Iterator[int]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def kept(self, keys: Mapping[int, Any], dropped: Collection[int]) -> dict[int, V]:
        """The built values still right after a change that drops ``dropped``."""
        return {k: v for k, v in self.built.items() if k not in dropped and k in keys}
