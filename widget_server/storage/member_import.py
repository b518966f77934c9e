"""Many new members in one transaction: the bulk path of ``member import``.

Every table is written with multi-row inserts (``Dialect.insert_rows``: one
prepared statement over all rows on SQLite, statements over arrays of at most
``ARRAY_VALUES`` values on PostgreSQL), in chunks so a caller can show progress,
and the data version is bumped once, so every process rebuilds its snapshot
once for the whole file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from widget_server.core.collation import sort_name
from widget_server.core.models import Member, PlacementOptions
from widget_server.storage.history import StatusChange, record_statuses
from widget_server.storage.queries import Queries

# Rows per chunk: large enough that per-statement costs vanish, small enough for
# a progress line every few seconds and bounded memory of the driver's arrays.
CHUNK = 5_000
# Placeholders per ``IN (…)``: below SQLite's and asyncpg's limits.
IN_LIMIT = 500
# An import of more members is logged as a change of everything: each process
# reloads the whole network once instead of these members one by one.
MEMBERS_LOGGED = 1_000

MEMBER_TYPES = (
    ("slug", "text"),
    ("name", "text"),
    ("sort_name", "text"),
    ("website", "text"),
    ("description", "text"),
    ("category", "text"),
    ("town", "text"),
    ("postal_code", "text"),
    ("status", "text"),
    ("created_at", "timestamptz"),
    ("updated_at", "timestamptz"),
)
DOMAIN_TYPES = (("member_id", "bigint"), ("domain", "text"))
MEMBERSHIP_TYPES = (
    ("member_id", "bigint"),
    ("theme_id", "bigint"),
    ("status", "text"),
    ("created_at", "timestamptz"),
)
PLACEMENT_TYPES = (
    ("member_id", "bigint"),
    ("theme_id", "bigint"),
    ("layout", "text"),
    ("max_partners", "integer"),
    ("lang", "text"),
    ("scheme", "text"),
    ("created_at", "timestamptz"),
)

NewMember = tuple[Member, Sequence[int]]  # the member (id unused) and its theme ids
# Members from which a chunk's rows are made in a worker thread: a chunk of 5,000 is
# some 50,000 tuples, 20-30 ms the event loop of a server would otherwise spend.
ROWS_ON_LOOP = 100

T = TypeVar("T")


async def _in_thread(make: Callable[..., T], chunk: Sequence[NewMember], *args: Any) -> T:
    if len(chunk) <= ROWS_ON_LOOP:
        return make(chunk, *args)
    return await asyncio.to_thread(make, chunk, *args)


def _member_rows(chunk: Sequence[NewMember], now: object) -> list[tuple[object, ...]]:
    return [
        (
            m.slug,
            m.name,
            sort_name(m.name),
            m.website,
            m.description,
            m.category,
            m.town,
            m.postal_code,
            m.status,
            now,
            now,
        )
        for m, _ in chunk
    ]


def _linked_rows(
    chunk: Sequence[NewMember], ids: dict[str, int], now: object, moment: float
) -> tuple[
    list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]], list[StatusChange]
]:
    """The rows of ``chunk``'s domains, memberships, default placements and statuses."""
    default = PlacementOptions()
    domains: list[tuple[object, ...]] = []
    memberships: list[tuple[object, ...]] = []
    placements: list[tuple[object, ...]] = []
    history: list[StatusChange] = []
    for member, theme_ids in chunk:
        member_id = ids[member.slug]
        domains.extend((member_id, d) for d in member.domains)
        history.append((member_id, 0, member.status, moment))
        for theme_id in theme_ids:
            memberships.append((member_id, theme_id, "active", now))
            history.append((member_id, theme_id, "active", moment))
            placements.append(
                (
                    member_id,
                    theme_id,
                    default.layout,
                    default.max_partners,
                    default.lang,
                    default.scheme,
                    now,
                )
            )
    return domains, memberships, placements, history


class MemberImport(Queries):
    async def existing_member_slugs(self, slugs: Sequence[str]) -> set[str]:
        """Which of ``slugs`` are taken by members already stored."""
        found: set[str] = set()
        for start in range(0, len(slugs), IN_LIMIT):
            part = slugs[start : start + IN_LIMIT]
            marks = ", ".join("?" for _ in part)
            rows = await self._fetch(f"SELECT slug FROM members WHERE slug IN ({marks})", *part)
            found.update(r[0] for r in rows)
        return found

    async def import_members(
        self,
        members: Sequence[NewMember],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Store new members with their domains, memberships and a default placement per
        theme, all or nothing; returns how many.  ``progress`` gets the members written so
        far after each chunk.  A slug that exists already is a ``ConflictError``.
        """
        if not members:
            return 0
        dialect = self._dialect
        moment = self.clock()
        now = dialect.time(self._moment_iso())
        async with self._change() as (conn, changes):
            for start in range(0, len(members), CHUNK):
                chunk = members[start : start + CHUNK]
                before = await conn.fetchval("SELECT COALESCE(MAX(id), 0) FROM members")
                await dialect.insert_rows(
                    conn, "members", MEMBER_TYPES, await _in_thread(_member_rows, chunk, now)
                )
                # New ids are above the old maximum; rows other writers add meanwhile
                # (PostgreSQL) are told apart by their slugs.
                rows = await conn.fetch("SELECT slug, id FROM members WHERE id > ?", before)
                ids = {slug: member_id for slug, member_id in rows}
                domains, memberships, placements, history = await _in_thread(
                    _linked_rows, chunk, ids, now, moment
                )
                for table, types, values in (
                    ("member_domains", DOMAIN_TYPES, domains),
                    ("memberships", MEMBERSHIP_TYPES, memberships),
                    ("placements", PLACEMENT_TYPES, placements),
                ):
                    if values:
                        await dialect.insert_rows(conn, table, types, values)
                await record_statuses(conn, dialect, history)
                if progress is not None:
                    progress(start + len(chunk))
                if len(members) <= MEMBERS_LOGGED:  # else: a change of everything
                    changes.add("member", *(ids[m.slug] for m, _ in chunk))
        return len(members)
