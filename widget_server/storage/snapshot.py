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

CURRENT_RULE_SETS = (
    f"SELECT {RULE_SET_COLUMNS} FROM rule_sets r WHERE r.version ="
    " (SELECT MAX(version) FROM rule_sets x WHERE x.theme_id = r.theme_id)"
)


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
            rule_sets = await conn.fetch(CURRENT_RULE_SETS)
        return NetworkData(
            version=int(version) if version is not None else 0,
            themes=tuple(theme_from(r) for r in themes),
            members=tuple(member_from(r) for r in members),
            memberships=tuple(membership_from(dialect, r) for r in memberships),
            placements=tuple(placement_from(r) for r in placements),
            rule_sets=tuple(rule_set_from(dialect, r) for r in rule_sets),
        )

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
