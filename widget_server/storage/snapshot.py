"""The hot path's snapshot: the whole network, read in one consistent transaction."""

from __future__ import annotations

from widget_server.storage.base import NetworkData
from widget_server.storage.members import (
    MEMBER_FROM,
    MEMBERSHIP_COLUMNS,
    PLACEMENT_COLUMNS,
    THEME_COLUMNS,
    member_columns,
    member_from,
    membership_from,
    placement_from,
    theme_from,
)
from widget_server.storage.queries import Queries
from widget_server.storage.rules import RULE_SET_COLUMNS, rule_set_from


class Snapshot(Queries):
    async def load_network(self) -> NetworkData:
        # One transaction, so the snapshot is consistent with its version.
        dialect = self._dialect
        async with self._snapshot() as conn:
            version = await conn.fetchval("SELECT value FROM meta WHERE key = 'data_version'")
            themes = await conn.fetch(f"SELECT {THEME_COLUMNS} FROM themes ORDER BY id")
            members = await conn.fetch(
                f"SELECT {member_columns(dialect)} FROM {MEMBER_FROM} ORDER BY m.id"
            )
            memberships = await conn.fetch(f"SELECT {MEMBERSHIP_COLUMNS} FROM memberships")
            placements = await conn.fetch(f"SELECT {PLACEMENT_COLUMNS} FROM placements")
            rule_sets = await conn.fetch(
                f"SELECT {RULE_SET_COLUMNS} FROM rule_sets r WHERE r.version ="
                " (SELECT MAX(version) FROM rule_sets x WHERE x.theme_id = r.theme_id)"
            )
        return NetworkData(
            version=int(version) if version is not None else 0,
            themes=tuple(theme_from(r) for r in themes),
            members=tuple(member_from(r) for r in members),
            memberships=tuple(membership_from(dialect, r) for r in memberships),
            placements=tuple(placement_from(r) for r in placements),
            rule_sets=tuple(rule_set_from(dialect, r) for r in rule_sets),
        )
