"""Status history: what each member's and membership's status was at any moment.

Every status change writes a row here in the transaction that makes it
(``theme_id`` 0: the member's own status; otherwise its membership in that
theme), so ``explain --at`` can rebuild who was eligible when a block was served.
"""

from __future__ import annotations

from collections.abc import Sequence

from widget_server.storage.dialect import Connection, Dialect
from widget_server.storage.queries import Queries

HISTORY_TYPES = (
    ("member_id", "bigint"),
    ("theme_id", "bigint"),
    ("status", "text"),
    ("at", "float8"),
)

# (member id, theme id or 0, status, unix seconds)
StatusChange = tuple[int, int, str, float]


async def record_statuses(conn: Connection, dialect: Dialect, rows: Sequence[StatusChange]) -> None:
    if rows:
        await dialect.insert_rows(conn, "status_history", HISTORY_TYPES, list(rows))


class History(Queries):
    async def statuses_at(self, theme_id: int, at: float) -> dict[tuple[int, int], str | None]:
        """(member id, theme id or 0) -> its status at ``at``, for every member of the theme.

        Covers the members' own statuses and their memberships in every theme (a
        member's equal share is split across its themes).  None: the member or
        membership did not exist yet at ``at``.
        """
        members = "SELECT member_id FROM memberships WHERE theme_id = ?"
        rows = await self._fetch(
            "SELECT member_id, theme_id, status, at FROM status_history"
            f" WHERE member_id IN ({members}) ORDER BY member_id, theme_id, at, id",
            theme_id,
        )
        found: dict[tuple[int, int], str | None] = {}
        for member_id, theme, status, moment in rows:
            key = (member_id, theme)
            if float(moment) <= at:
                found[key] = status
            else:
                found.setdefault(key, None)
        return found
