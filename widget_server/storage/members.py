"""Themes, members with their domains and logos, memberships and placements."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from widget_server.core.collation import sort_name
from widget_server.core.errors import NotFoundError
from widget_server.core.models import (
    Logo,
    Member,
    MemberRecord,
    Membership,
    MembershipStatus,
    MemberStatus,
    Placement,
    PlacementOptions,
    Theme,
)
from widget_server.storage.access import revoke_member_access
from widget_server.storage.dialect import Connection, Dialect, Row, iso_now
from widget_server.storage.history import record_statuses
from widget_server.storage.mail import forget_member_mail
from widget_server.storage.queries import Queries, page, where

THEME_COLUMNS = (
    "id, slug, name_de, name_en, description_de, description_en, kind, intro_de, intro_en"
)
PLACEMENT_COLUMNS = "id, member_id, theme_id, layout, max_partners, lang, scheme, show_kinds"
MEMBERSHIP_COLUMNS = "member_id, theme_id, status, created_at"
MEMBER_FROM = "members m LEFT JOIN logos l ON l.member_id = m.id"
MEMBERS_ON_LOOP = 2_000  # rows made into Members on the event loop; more in a thread


def member_columns(dialect: Dialect) -> str:
    return (
        "m.id, m.slug, m.name, m.website, m.description, m.category, m.town, m.postal_code,"
        f" m.status, (SELECT {dialect.concat_domains} FROM member_domains d"
        " WHERE d.member_id = m.id), l.digest, l.content_type, l.width, l.height"
    )


def theme_from(row: Row) -> Theme:
    return Theme(*row)


def _member_fields(row: Row) -> tuple[Any, ...]:
    """A member's row as ``Member``'s fields, in their order."""
    domains = tuple(sorted(row[9].split())) if row[9] else ()
    logo = Logo(row[0], row[10], row[11], row[12], row[13]) if row[10] else None
    # Categories, towns and statuses repeat across many members: one copy each
    # (the snapshot holds every member).  The status is CHECKed in the schema.
    intern = sys.intern
    return (
        row[0],  # id
        row[1],  # slug
        row[2],  # name
        row[3],  # website
        domains,
        row[4],  # description
        intern(row[5]),  # category
        intern(row[6]),  # town
        intern(row[7]),  # postal code
        intern(row[8]),  # status
        logo,
    )


def member_from(row: Row) -> Member:
    return Member(*_member_fields(row))


def record_from(row: Row) -> MemberRecord:
    """``MemberRecord(member_from(row))`` without the ``Member``: what the serving
    snapshot's full load makes of 100,000 rows (``load_network(compact=True)``)."""
    return MemberRecord.of_fields(*_member_fields(row))


def membership_from(dialect: Dialect, row: Row) -> Membership:
    return Membership(row[0], row[1], row[2], dialect.iso(row[3]))


def placement_from(
    row: Row, shared: dict[tuple[Any, ...], PlacementOptions] | None = None
) -> Placement:
    """A placement; with ``shared``, equal options are one object (most are the defaults)."""
    if shared is None:
        fresh = PlacementOptions(row[3], row[4], row[5], row[6], row[7])
        return Placement(row[0], row[1], row[2], fresh)
    return Placement(row[0], row[1], row[2], placement_options(row, shared))


def placement_options(
    row: Row, shared: dict[tuple[Any, ...], PlacementOptions]
) -> PlacementOptions:
    """A placement row's options, one object for equal ones (``shared``)."""
    key = (row[3], row[4], row[5], row[6], row[7])
    options = shared.get(key)
    if options is None:
        options = shared[key] = PlacementOptions(*key)
    return options


async def write_member_status(
    conn: Connection, dialect: Dialect, member_id: int, status: str, moment: float, now: str
) -> None:
    """A member's new status inside a network write (the caller logs the change): its
    history row for the replay, and on removal its keys, sessions, links and mail
    address gone in the same transaction."""
    changed = await conn.execute(
        "UPDATE members SET status = ?, updated_at = ? WHERE id = ?",
        status,
        dialect.time(now),
        member_id,
    )
    if changed == 0:
        raise NotFoundError(f"no member with id {member_id}")
    await record_statuses(conn, dialect, [(member_id, 0, status, moment)])
    if status == "removed":
        await revoke_member_access(conn, dialect, member_id, now)
        await forget_member_mail(conn, member_id)


async def insert_member(
    conn: Connection,
    dialect: Dialect,
    member: Member,
    theme_ids: Sequence[int] = (),
    *,
    at: str,
    moment: float,
) -> int:
    """Insert a member with its domains and memberships in the caller's transaction;
    ``at`` (ISO time) and ``moment`` (its Unix time, for the status history) say when."""
    now = dialect.time(at)
    member_id = int(
        await conn.fetchval(
            "INSERT INTO members (slug, name, sort_name, website, description, category,"
            " town, postal_code, status, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            member.slug,
            member.name,
            sort_name(member.name),
            member.website,
            member.description,
            member.category,
            member.town,
            member.postal_code,
            member.status,
            now,
            now,
        )
    )
    await conn.executemany(
        "INSERT INTO member_domains (member_id, domain) VALUES (?, ?)",
        [(member_id, d) for d in member.domains],
    )
    await conn.executemany(
        "INSERT INTO memberships (member_id, theme_id, status, created_at)"
        " VALUES (?, ?, 'active', ?)",
        [(member_id, t, now) for t in theme_ids],
    )
    await record_statuses(
        conn,
        dialect,
        [(member_id, 0, member.status, moment)]
        + [(member_id, t, "active", moment) for t in theme_ids],
    )
    return member_id


class Members(Queries):
    # -- themes -----------------------------------------------------------------------------

    async def create_theme(self, theme: Theme) -> Theme:
        async with self._change() as (conn, changes):
            new_id = await conn.fetchval(
                "INSERT INTO themes (slug, name_de, name_en, description_de, description_en,"
                " kind, intro_de, intro_en, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " RETURNING id",
                theme.slug,
                theme.name_de,
                theme.name_en,
                theme.description_de,
                theme.description_en,
                theme.kind,
                theme.intro_de,
                theme.intro_en,
                self._dialect.time(iso_now()),
            )
            changes.add("theme", new_id)
        return replace(theme, id=int(new_id))

    async def get_theme(self, slug: str) -> Theme:
        row = await self._fetchrow(f"SELECT {THEME_COLUMNS} FROM themes WHERE slug = ?", slug)
        if row is None:
            raise NotFoundError(f"no theme {slug!r}")
        return theme_from(row)

    async def list_themes(
        self, *, after: str | None = None, limit: int | None = None
    ) -> list[Theme]:
        clause, params = where(("slug > ?", after))
        rows = await self._fetch(
            f"SELECT {THEME_COLUMNS} FROM themes{clause} ORDER BY slug{page(limit)}", *params
        )
        return [theme_from(r) for r in rows]

    async def update_theme(self, theme: Theme) -> Theme:
        async with self._change() as (conn, changes):
            changes.add("theme", theme.id)
            changed = await conn.execute(
                "UPDATE themes SET name_de = ?, name_en = ?, description_de = ?,"
                " description_en = ?, kind = ?, intro_de = ?, intro_en = ?, updated_at = ?"
                " WHERE id = ?",
                theme.name_de,
                theme.name_en,
                theme.description_de,
                theme.description_en,
                theme.kind,
                theme.intro_de,
                theme.intro_en,
                self._dialect.time(iso_now()),
                theme.id,
            )
            if changed == 0:
                raise NotFoundError(f"no theme with id {theme.id}")
        return theme

    async def theme_member_counts(self, *, removed: bool = False) -> dict[int, int]:
        """Theme id -> members in it (memberships not left; removed members only if asked)."""
        # Grouped by "+ms.theme_id": SQLite would otherwise walk memberships_theme and look
        # up every row; reading the table in order is about five times faster at 200,000.
        rows = await self._fetch(
            "SELECT +ms.theme_id, COUNT(*) FROM memberships ms"
            + ("" if removed else " JOIN members m ON m.id = ms.member_id")
            + " WHERE ms.status != 'left'"
            + ("" if removed else " AND m.status != 'removed'")
            + " GROUP BY 1"
        )
        return {r[0]: r[1] for r in rows}

    async def themes_modified(self) -> dict[int, datetime]:
        """Theme id -> when what its public page shows last changed (UTC): the theme,
        a member of it (profile or status), or a membership (joined, paused, left)."""
        newest: dict[int, datetime] = {}

        def note(theme_id: int, moment: datetime) -> None:
            if theme_id not in newest or moment > newest[theme_id]:
                newest[theme_id] = moment

        iso = self._dialect.iso
        for row in await self._fetch("SELECT id, COALESCE(updated_at, created_at) FROM themes"):
            note(row[0], datetime.fromisoformat(iso(row[1])))
        for row in await self._fetch(
            "SELECT ms.theme_id, MAX(m.updated_at) FROM memberships ms"
            " JOIN members m ON m.id = ms.member_id GROUP BY ms.theme_id"
        ):
            note(row[0], datetime.fromisoformat(iso(row[1])))
        for row in await self._fetch(
            "SELECT theme_id, MAX(at) FROM status_history WHERE theme_id != 0 GROUP BY theme_id"
        ):
            note(row[0], datetime.fromtimestamp(row[1], UTC))
        return newest

    # -- members ----------------------------------------------------------------------------

    async def create_member(
        self, member: Member, theme_ids: Sequence[int] = (), *, joined: str | None = None
    ) -> Member:
        """A new member; ``joined`` (ISO time) back-dates it, as the demo's history does."""
        moment = datetime.fromisoformat(joined).timestamp() if joined else self.clock()
        async with self._change() as (conn, changes):
            member_id = await insert_member(
                conn,
                self._dialect,
                member,
                theme_ids,
                at=joined or self._moment_iso(),
                moment=moment,
            )
            changes.add("member", member_id)
        return await self.get_member_by_id(member_id)

    async def _member_where(self, condition: str, value: object) -> Member | None:
        row = await self._fetchrow(
            f"SELECT {member_columns(self._dialect)} FROM {MEMBER_FROM} WHERE {condition}", value
        )
        return member_from(row) if row else None

    async def get_member(self, slug: str) -> Member:
        member = await self._member_where("m.slug = ?", slug)
        if member is None:
            raise NotFoundError(f"no member {slug!r}")
        return member

    async def get_member_by_id(self, member_id: int) -> Member:
        member = await self._member_where("m.id = ?", member_id)
        if member is None:
            raise NotFoundError(f"no member with id {member_id}")
        return member

    async def list_members(
        self,
        *,
        status: MemberStatus | None = None,
        theme_id: int | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[Member]:
        clause, params = where(
            ("m.status = ?", status),
            (
                "m.id IN (SELECT member_id FROM memberships WHERE theme_id = ?"
                " AND status != 'left')",
                theme_id,
            ),
            ("m.slug > ?", after),
        )
        rows = await self._fetch(
            f"SELECT {member_columns(self._dialect)} FROM {MEMBER_FROM}{clause}"
            f" ORDER BY m.slug{page(limit)}",
            *params,
        )
        if len(rows) < MEMBERS_ON_LOOP:
            return [member_from(r) for r in rows]
        # A theme of 10,000 members made on the event loop held it some 50 ms.
        return await asyncio.to_thread(lambda: [member_from(r) for r in rows])

    async def update_member(self, member: Member) -> Member:
        """Write a member's profile fields and domains (not its status or logo)."""
        async with self._change() as (conn, changes):
            changes.add("member", member.id)
            changed = await conn.execute(
                "UPDATE members SET name = ?, sort_name = ?, website = ?, description = ?,"
                " category = ?, town = ?, postal_code = ?, updated_at = ? WHERE id = ?",
                member.name,
                sort_name(member.name),
                member.website,
                member.description,
                member.category,
                member.town,
                member.postal_code,
                self._dialect.time(iso_now()),
                member.id,
            )
            if changed == 0:
                raise NotFoundError(f"no member with id {member.id}")
            await conn.execute("DELETE FROM member_domains WHERE member_id = ?", member.id)
            await conn.executemany(
                "INSERT INTO member_domains (member_id, domain) VALUES (?, ?)",
                [(member.id, d) for d in member.domains],
            )
        return await self.get_member_by_id(member.id)

    async def set_member_status(self, member_id: int, status: MemberStatus) -> Member:
        """Set the status; removing also ends the member's keys, sessions and links at once."""
        moment = self.clock()
        now = self._moment_iso()
        async with self._change() as (conn, changes):
            changes.add("member", member_id)
            await write_member_status(conn, self._dialect, member_id, status, moment, now)
        return await self.get_member_by_id(member_id)

    async def delete_theme(self, theme_id: int) -> None:
        """Delete a theme with its memberships, placements, rule versions and invitations.

        Its daily counters stay (they name the theme by id only), so reports of the
        past keep their totals.
        """
        async with self._write() as conn:
            deleted = await conn.execute("DELETE FROM themes WHERE id = ?", theme_id)
            if deleted == 0:
                raise NotFoundError(f"no theme with id {theme_id}")

    async def set_logo(self, logo: Logo, data: bytes) -> None:
        async with self._change() as (conn, changes):
            changes.add("member", logo.member_id)
            await conn.execute(
                "INSERT INTO logos (member_id, digest, content_type, width, height, data,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (member_id) DO UPDATE SET"
                " digest = excluded.digest, content_type = excluded.content_type,"
                " width = excluded.width, height = excluded.height, data = excluded.data,"
                " created_at = excluded.created_at",
                logo.member_id,
                logo.digest,
                logo.content_type,
                logo.width,
                logo.height,
                data,
                self._dialect.time(iso_now()),
            )

    async def get_logo(self, member_id: int) -> tuple[Logo, bytes]:
        row = await self._fetchrow(
            "SELECT member_id, digest, content_type, width, height, data FROM logos"
            " WHERE member_id = ?",
            member_id,
        )
        if row is None:
            raise NotFoundError(f"member {member_id} has no logo")
        return Logo(row[0], row[1], row[2], row[3], row[4]), bytes(row[5])

    # -- memberships ------------------------------------------------------------------------

    async def set_membership(
        self, member_id: int, theme_id: int, status: MembershipStatus
    ) -> Membership:
        moment = self.clock()
        now = self._moment_iso()
        async with self._change() as (conn, changes):
            changes.add("member", member_id)
            await conn.execute(
                "INSERT INTO memberships (member_id, theme_id, status, created_at)"
                " VALUES (?, ?, ?, ?)"
                " ON CONFLICT (member_id, theme_id) DO UPDATE SET status = excluded.status",
                member_id,
                theme_id,
                status,
                self._dialect.time(now),
            )
            await record_statuses(conn, self._dialect, [(member_id, theme_id, status, moment)])
        return Membership(member_id, theme_id, status, now)

    async def list_memberships(
        self, *, member_id: int | None = None, theme_id: int | None = None
    ) -> list[Membership]:
        clause, params = where(("member_id = ?", member_id), ("theme_id = ?", theme_id))
        rows = await self._fetch(
            f"SELECT {MEMBERSHIP_COLUMNS} FROM memberships{clause} ORDER BY theme_id, member_id",
            *params,
        )
        return [membership_from(self._dialect, r) for r in rows]

    # -- placements -------------------------------------------------------------------------

    async def create_placement(
        self, member_id: int, theme_id: int, options: PlacementOptions
    ) -> Placement:
        async with self._change() as (conn, changes):
            placement_id = await conn.fetchval(
                "INSERT INTO placements (member_id, theme_id, layout, max_partners, lang, scheme,"
                " show_kinds, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                member_id,
                theme_id,
                options.layout,
                options.max_partners,
                options.lang,
                options.scheme,
                options.show,
                self._dialect.time(iso_now()),
            )
            changes.add("placement", placement_id)
        return Placement(int(placement_id), member_id, theme_id, options)

    async def get_placement(self, placement_id: int) -> Placement:
        row = await self._fetchrow(
            f"SELECT {PLACEMENT_COLUMNS} FROM placements WHERE id = ?", placement_id
        )
        if row is None:
            raise NotFoundError(f"no placement {placement_id}")
        return placement_from(row)

    async def list_placements(
        self,
        *,
        member_id: int | None = None,
        theme_id: int | None = None,
        after: int | None = None,
        limit: int | None = None,
    ) -> list[Placement]:
        clause, params = where(
            ("member_id = ?", member_id), ("theme_id = ?", theme_id), ("id > ?", after)
        )
        rows = await self._fetch(
            f"SELECT {PLACEMENT_COLUMNS} FROM placements{clause} ORDER BY id{page(limit)}",
            *params,
        )
        return [placement_from(r) for r in rows]
