"""The hot path's snapshot: the whole network, or the parts of it that changed, each read
in one consistent transaction; and the change log that says what changed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Sequence
from typing import TypeVar

from widget_server.core.models import Member, MemberRecord, Membership, Placement, PlacementOptions
from widget_server.storage.dialect import Connection, Dialect, Row
from widget_server.storage.members import (
    MEMBER_FROM,
    MEMBERSHIP_COLUMNS,
    PLACEMENT_COLUMNS,
    THEME_COLUMNS,
    member_columns,
    member_from,
    membership_from,
    placement_from,
    placement_options,
    record_from,
    theme_from,
)
from widget_server.storage.queries import Queries
from widget_server.storage.records import ChangeLog, NetworkData
from widget_server.storage.rules import RULE_SET_COLUMNS, rule_set_from

CURRENT_RULE_SETS = (
    f"SELECT {RULE_SET_COLUMNS} FROM rule_sets r WHERE r.version ="
    " (SELECT MAX(version) FROM rule_sets x WHERE x.theme_id = r.theme_id)"
)


T = TypeVar("T")
# Rows per batch when the whole network is read.
LOAD_BATCH = 5_000
# Ids per IN (...) list when a part of the network is read.
IN_CHUNK = 500
# Rows of a part read converted on the event loop; more go to a worker thread (a
# hand-over costs more than converting a write's few rows).
ROWS_ON_LOOP = 200


def network_from(
    dialect: Dialect,
    version: object,
    themes: Sequence[Row],
    members: Sequence[Row],
    memberships: Sequence[Row],
    placements: Sequence[Row],
    rule_sets: Sequence[Row],
) -> NetworkData:
    return NetworkData(
        version=int(str(version)) if version is not None else 0,
        themes=tuple(theme_from(r) for r in themes),
        members=tuple(member_from(r) for r in members),
        memberships=tuple(membership_from(dialect, r) for r in memberships),
        placements=_placements(placements),
        rule_sets=tuple(rule_set_from(dialect, r) for r in rule_sets),
    )


def _placements(rows: Sequence[Row]) -> tuple[Placement, ...]:
    shared: dict[tuple[object, ...], PlacementOptions] = {}
    return tuple(placement_from(r, shared) for r in rows)


async def fetch_in(conn: Connection, sql: str, ids: Collection[int]) -> list[Row]:
    """``sql`` with ``IN ({marks})`` run for ``ids`` in chunks; all rows."""
    ordered = sorted(ids)
    rows: list[Row] = []
    for start in range(0, len(ordered), IN_CHUNK):
        part = ordered[start : start + IN_CHUNK]
        rows += await conn.fetch(sql.format(marks=", ".join("?" for _ in part)), *part)
    return rows


class Snapshot(Queries):
    async def load_network(self, *, compact: bool = False) -> NetworkData:
        # One transaction, so the snapshot is consistent with its version.  Each table's
        # rows become models in a worker thread (at 100,000 members that takes seconds,
        # which the event loop spends serving), one table at a time (less memory).
        dialect = self._dialect

        async def convert(
            sql: str, make: Callable[[Sequence[Row]], tuple[T, ...]]
        ) -> tuple[T, ...]:
            # In batches: the driver's part on the event loop stays short (PostgreSQL
            # decodes rows there), and the rows of one batch at a time are in memory.
            made: list[T] = []
            async for batch in conn.fetch_batches(sql, LOAD_BATCH):
                made += await asyncio.to_thread(make, batch)
            return tuple(made)

        # The ids of members and themes, one int object each: the memberships and
        # placements refer to them (at 200,000 rows that saves some 20 MB).
        ids: dict[int, int] = {}

        def members_from(rows: Sequence[Row]) -> tuple[Member, ...]:
            found = tuple(member_from(r) for r in rows)
            ids.update((m.id, m.id) for m in found)
            return found

        def records_from(rows: Sequence[Row]) -> tuple[MemberRecord, ...]:
            found = tuple(record_from(r) for r in rows)
            ids.update((m.id, m.id) for m in found)
            return found

        def same(value: int) -> int:
            return ids.get(value, value)

        def memberships_from(rows: Sequence[Row]) -> tuple[Membership, ...]:
            return tuple(Membership(same(r[0]), same(r[1]), r[2], dialect.iso(r[3])) for r in rows)

        def joined_from(rows: Sequence[Row]) -> tuple[tuple[int, int, str, float], ...]:
            # As the snapshot indexes them (serving/indexed.py): no ``Membership`` and
            # no ISO text made and parsed again, per row of 200,000.
            unix = dialect.unix
            return tuple((same(r[0]), same(r[1]), r[2], unix(r[3])) for r in rows)

        def placements_from(rows: Sequence[Row]) -> tuple[Placement, ...]:
            return _placements([(r[0], same(r[1]), same(r[2]), *r[3:]) for r in rows])

        shared: dict[tuple[object, ...], PlacementOptions] = {}  # equal options: one object

        def placement_rows_from(
            rows: Sequence[Row],
        ) -> tuple[tuple[int, int, int, PlacementOptions], ...]:
            # As the snapshot keeps them: columns of numbers (serving/columns.py).
            return tuple((r[0], r[1], r[2], placement_options(r, shared)) for r in rows)

        async with self._snapshot() as conn:
            version = await conn.fetchval("SELECT value FROM meta WHERE key = 'data_version'")
            themes = await convert(
                f"SELECT {THEME_COLUMNS} FROM themes ORDER BY id",
                lambda rows: tuple(theme_from(r) for r in rows),
            )
            ids.update((t.id, t.id) for t in themes)
            read = f"SELECT {member_columns(dialect)} FROM {MEMBER_FROM} ORDER BY m.id"
            members = () if compact else await convert(read, members_from)
            records = await convert(read, records_from) if compact else ()
            read = f"SELECT {MEMBERSHIP_COLUMNS} FROM memberships"
            memberships = () if compact else await convert(read, memberships_from)
            joined = await convert(read, joined_from) if compact else ()
            read = f"SELECT {PLACEMENT_COLUMNS} FROM placements"
            placements = () if compact else await convert(read, placements_from)
            placement_rows = await convert(read, placement_rows_from) if compact else ()
            rule_sets = await convert(
                CURRENT_RULE_SETS, lambda rows: tuple(rule_set_from(dialect, r) for r in rows)
            )
        return NetworkData(
            int(str(version)) if version is not None else 0,
            themes,
            members,
            memberships,
            placements,
            rule_sets,
            records,
            joined,
            placement_rows,
        )

    async def changes_since(self, version: int) -> ChangeLog:
        async with self._snapshot() as conn:
            now = int(await conn.fetchval("SELECT value FROM meta WHERE key = 'data_version'"))
            if now <= version:
                return ChangeLog(now, complete=now == version)
            rows = await conn.fetch(
                "SELECT version, kind, ref FROM changes WHERE version > ? AND version <= ?",
                version,
                now,
            )
        found: dict[str, set[int]] = {"member": set(), "theme": set(), "placement": set()}
        versions = set()
        for row_version, kind, ref in rows:
            versions.add(int(row_version))
            if kind not in found:  # 'all', or a kind this code does not know
                return ChangeLog(now, complete=False)
            found[kind].add(int(ref))
        return ChangeLog(
            now,
            # Every version since has its rows: nothing was pruned or left unsaid.
            complete=len(versions) == now - version,
            members=frozenset(found["member"]),
            themes=frozenset(found["theme"]),
            placements=frozenset(found["placement"]),
        )

    async def load_network_part(
        self,
        member_ids: Collection[int],
        theme_ids: Collection[int],
        placement_ids: Collection[int],
    ) -> NetworkData:
        dialect = self._dialect
        async with self._snapshot() as conn:
            version = await conn.fetchval("SELECT value FROM meta WHERE key = 'data_version'")
            themes = await fetch_in(
                conn, f"SELECT {THEME_COLUMNS} FROM themes WHERE id IN ({{marks}})", theme_ids
            )
            members = await fetch_in(
                conn,
                f"SELECT {member_columns(dialect)} FROM {MEMBER_FROM} WHERE m.id IN ({{marks}})"
                " ORDER BY m.id",
                member_ids,
            )
            memberships = await fetch_in(
                conn,
                f"SELECT {MEMBERSHIP_COLUMNS} FROM memberships WHERE member_id IN ({{marks}})",
                member_ids,
            )
            placements = await fetch_in(
                conn,
                f"SELECT {PLACEMENT_COLUMNS} FROM placements WHERE id IN ({{marks}})",
                placement_ids,
            ) + await fetch_in(
                conn,
                f"SELECT {PLACEMENT_COLUMNS} FROM placements WHERE member_id IN ({{marks}})",
                member_ids,
            )
            rule_sets = await fetch_in(
                conn,
                f"SELECT {RULE_SET_COLUMNS} FROM rule_sets r WHERE r.theme_id IN ({{marks}})"
                " AND r.version = (SELECT MAX(version) FROM rule_sets x"
                " WHERE x.theme_id = r.theme_id)",
                theme_ids,
            )
        found = (dialect, version, themes, members, memberships, placements, rule_sets)
        if len(members) + len(memberships) + len(placements) > ROWS_ON_LOOP:
            # A large change (a bulk import logs every member): its rows become models in
            # a worker thread, as a full load's do, not on the event loop.
            return await asyncio.to_thread(network_from, *found)
        return network_from(*found)

    async def load_theme_network(self, theme_id: int) -> NetworkData:
        """What one theme's pool is built from, as ``load_network`` would give it.

        The theme, its members and their memberships in every theme (a member's share
        is split across its themes), the theme's placements, and the current rule set
        of every theme (the ledger's window is the longest half-life of any of them).
        """
        dialect = self._dialect
        in_theme = "SELECT member_id FROM memberships WHERE theme_id = ?"
        async with self._snapshot() as conn:
            version = await conn.fetchval("SELECT value FROM meta WHERE key = 'data_version'")
            themes = await conn.fetch(f"SELECT {THEME_COLUMNS} FROM themes WHERE id = ?", theme_id)
            members = await conn.fetch(
                f"SELECT {member_columns(dialect)} FROM {MEMBER_FROM}"
                f" WHERE m.id IN ({in_theme}) ORDER BY m.id",
                theme_id,
            )
            memberships = await conn.fetch(
                f"SELECT {MEMBERSHIP_COLUMNS} FROM memberships WHERE member_id IN ({in_theme})",
                theme_id,
            )
            placements = await conn.fetch(
                f"SELECT {PLACEMENT_COLUMNS} FROM placements WHERE theme_id = ?", theme_id
            )
            rule_sets = await conn.fetch(CURRENT_RULE_SETS)
        return NetworkData(
            version=int(version) if version is not None else 0,
            themes=tuple(theme_from(r) for r in themes),
            members=tuple(member_from(r) for r in members),
            memberships=tuple(membership_from(dialect, r) for r in memberships),
            placements=tuple(placement_from(r) for r in placements),
            rule_sets=tuple(rule_set_from(dialect, r) for r in rule_sets),
        )
