"""What the admin's long lists read at 100,000 members: counts grouped in the database,
the member list filtered, sorted and paged by the database, and a page's members and
memberships by id (the daily mail check reads its pages so too).  Nothing here
reads a whole table into full rows on the event loop (docs/architecture.md, "The
admin")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from widget_server.core.models import Member, Membership
from widget_server.storage.dialect import Row
from widget_server.storage.members import (
    MEMBER_FROM,
    MEMBERSHIP_COLUMNS,
    member_columns,
    member_from,
    membership_from,
)
from widget_server.storage.queries import Queries


class Directory(Queries):
    async def member_status_counts(self) -> dict[str, int]:
        """Member status -> members with it (statuses nobody has are left out)."""
        rows = await self._fetch("SELECT status, COUNT(*) FROM members GROUP BY 1")
        return {r[0]: r[1] for r in rows}

    async def category_member_counts(self) -> dict[str, int]:
        """Category slug -> members in it (removed members and no category left out)."""
        rows = await self._fetch(
            "SELECT category, COUNT(*) FROM members WHERE category != '' AND status != 'removed'"
            " GROUP BY 1"
        )
        return {r[0]: r[1] for r in rows}

    async def theme_membership_counts(self) -> dict[int, dict[str, int]]:
        """Theme id -> membership status -> memberships (those not left): one query, not
        the 200,000 memberships of a large network read whole."""
        rows = await self._fetch(
            "SELECT +theme_id, status, COUNT(*) FROM memberships WHERE status != 'left'"
            " GROUP BY 1, 2"
        )
        counts: dict[int, dict[str, int]] = {}
        for theme_id, status, count in rows:
            counts.setdefault(theme_id, {})[status] = count
        return counts

    async def listed_members(
        self, status: str | None, needle: str, number: int, size: int
    ) -> tuple[int, int, list[int]]:
        """How many members have ``status`` (any when None) and hold ``needle`` (a
        ``collation.sort_name``; none when empty) in their sort name or slug, which page
        of ``size`` of them is shown (``number``, or the last when past it), and its ids:
        pending first, then in German order of their names (``collation.sort_key``), then
        by slug.  The database filters, sorts and pages (``members.sort_name``), so the
        list's cost is one sort there, not one key per member in Python (GIL-bound beside
        the event loop)."""
        if "\x00" in needle:  # in no stored name (PostgreSQL's text cannot even hold it)
            return 0, 1, []
        conditions, params = [], []
        if status is not None:
            conditions.append("status = ?")
            params.append(status)
        if needle:
            contains = self._dialect.contains
            conditions.append(f"({contains.format('sort_name')} OR {contains.format('slug')})")
            params += [needle, needle]
        clause = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        bytewise = self._dialect.bytewise
        async with self._snapshot() as conn:
            matching = int(await conn.fetchval(f"SELECT COUNT(*) FROM members{clause}", *params))
            number = max(1, min(number, -(-matching // size)))
            rows = await conn.fetch(
                f"SELECT id FROM members{clause}"
                " ORDER BY CASE WHEN status = 'pending' THEN 0 ELSE 1 END,"
                f" sort_name{bytewise}, name{bytewise}, slug{bytewise}, id"
                f" LIMIT {int(size)} OFFSET {(number - 1) * int(size)}",
                *params,
            )
        return matching, number, [r[0] for r in rows]

    async def _fetch_ids(self, sql: str, ids: Sequence[int]) -> list[Row]:
        """The rows of ``sql`` (its ``{marks}``: the ids' placeholders) for ``ids``, 500
        ids a query."""
        rows: list[Row] = []
        for at in range(0, len(ids), 500):
            part = list(ids[at : at + 500])
            rows += await self._fetch(sql.format(marks=", ".join("?" for _ in part)), *part)
        return rows

    async def members_with_ids(self, ids: Sequence[int]) -> list[Member]:
        """The members of ``ids`` (a page of a list: a few hundred), in no given order."""
        columns = member_columns(self._dialect)
        sql = f"SELECT {columns} FROM {MEMBER_FROM} WHERE m.id IN ({{marks}})"
        return [member_from(r) for r in await self._fetch_ids(sql, ids)]

    async def memberships_of(self, member_ids: Sequence[int]) -> list[Membership]:
        """The memberships of the members ``member_ids`` (a page of a list)."""
        sql = f"SELECT {MEMBERSHIP_COLUMNS} FROM memberships WHERE member_id IN ({{marks}})"
        rows = await self._fetch_ids(sql, member_ids)
        return [membership_from(self._dialect, r) for r in rows]

    async def last_served_of(self, host_ids: Sequence[int]) -> dict[tuple[int, int], date]:
        """``last_served()`` for the hosts ``host_ids`` only (a page of members), found
        through their memberships, whose key leads to last_served's (theme, host) key:
        last_served has no index on the host alone (by the host, 200 pages of a
        100,000-member network scanned it whole 200 times, 3.4 s)."""
        sql = (
            "SELECT l.theme_id, l.host_id, l.day FROM memberships m"
            " JOIN last_served l ON l.theme_id = m.theme_id AND l.host_id = m.member_id"
            " WHERE m.member_id IN ({marks})"
        )
        rows = await self._fetch_ids(sql, host_ids)
        return {(r[0], r[1]): self._dialect.from_day(r[2]) for r in rows}
