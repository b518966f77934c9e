"""Rule sets: versioned per theme, each change a new row (the rules' audit log)."""

from __future__ import annotations

import json
from typing import Any

from widget_server.core.errors import PreconditionFailedError
from widget_server.core.models import RuleSet
from widget_server.storage.dialect import Dialect, Row
from widget_server.storage.queries import Queries
from widget_server.storage.records import RuleChange

RULE_SET_COLUMNS = "theme_id, version, rules, author, created_at"


def rule_set_from(dialect: Dialect, row: Row) -> RuleSet:
    # PostgreSQL's jsonb comes back as text too (asyncpg's default codec).
    return RuleSet(row[0], row[1], json.loads(row[2]), row[3], dialect.iso(row[4]))


class Rules(Queries):
    async def add_rule_set(
        self,
        theme_id: int,
        rules: dict[str, Any],
        author: str,
        *,
        expected_version: int | None = None,
    ) -> RuleSet:
        created = self._moment_iso()
        async with self._change() as (conn, changes):
            changes.add("theme", theme_id)
            # Writers of one theme's rules take turns, so versions count up without gaps
            # and a stale expected_version is a precondition failure, never a key clash.
            await conn.execute(
                f"SELECT 1 FROM themes WHERE id = ?{self._dialect.for_update}", theme_id
            )
            version = int(
                await conn.fetchval(
                    "SELECT COALESCE(MAX(version), 0) + 1 FROM rule_sets WHERE theme_id = ?",
                    theme_id,
                )
            )
            if expected_version is not None and expected_version != version - 1:
                raise PreconditionFailedError(
                    f"the rules are at version {version - 1}, not {expected_version}"
                )
            await conn.execute(
                "INSERT INTO rule_sets (theme_id, version, rules, author, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                theme_id,
                version,
                json.dumps(rules, sort_keys=True),
                author,
                self._dialect.time(created),
            )
        return RuleSet(theme_id, version, rules, author, created)

    async def list_rule_sets(self, theme_id: int) -> list[RuleSet]:
        rows = await self._fetch(
            f"SELECT {RULE_SET_COLUMNS} FROM rule_sets WHERE theme_id = ? ORDER BY version",
            theme_id,
        )
        return [rule_set_from(self._dialect, r) for r in rows]

    async def recent_rule_changes(self, limit: int) -> list[RuleChange]:
        """The newest ``limit`` rule versions of all themes (and every other one made at
        the moment of the last of them), each with the rules it replaced, in the order of
        the themes' slugs and then versions: two queries, not one per theme (a network
        of 2,000 themes made the overview's audit lines 2,000 queries)."""
        if limit <= 0:
            return []
        bound = await self._fetchrow(
            "SELECT created_at FROM rule_sets ORDER BY created_at DESC LIMIT 1 OFFSET ?",
            limit - 1,
        )
        clause, params = ("", ()) if bound is None else (" WHERE r.created_at >= ?", (bound[0],))
        rows = await self._fetch(
            "SELECT t.slug, r.theme_id, r.version, r.rules, r.author, r.created_at, p.rules"
            " FROM rule_sets r JOIN themes t ON t.id = r.theme_id"
            " LEFT JOIN rule_sets p ON p.theme_id = r.theme_id AND p.version = r.version - 1"
            f"{clause} ORDER BY t.slug, r.version",
            *params,
        )
        return [
            RuleChange(r[0], rule_set_from(self._dialect, r[1:6]), json.loads(r[6]) if r[6] else {})
            for r in rows
        ]

    async def rule_versions(self) -> dict[int, int]:
        """Theme id -> the version of its rules in force, for every theme with rules: one
        query instead of one per theme."""
        rows = await self._fetch("SELECT theme_id, MAX(version) FROM rule_sets GROUP BY 1")
        return {r[0]: r[1] for r in rows}

    async def get_rule_set(self, theme_id: int) -> RuleSet | None:
        row = await self._fetchrow(
            f"SELECT {RULE_SET_COLUMNS} FROM rule_sets"
            " WHERE theme_id = ? ORDER BY version DESC LIMIT 1",
            theme_id,
        )
        return rule_set_from(self._dialect, row) if row else None
