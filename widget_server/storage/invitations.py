"""Invitations, the businesses' applications and the network's own categories (migration 10).

An application is a pending member plus a row here.  ``submit_application``
writes both, and claims a single-use invitation, in one transaction, so an
invitation used twice at the same moment lets exactly one application in.
"""

from __future__ import annotations

from widget_server.core.errors import ConflictError, NotFoundError
from widget_server.core.models import Application, Category, Invitation, Member
from widget_server.storage.dialect import Dialect, Row, iso_now
from widget_server.storage.members import insert_member, write_member_status
from widget_server.storage.queries import Queries

INVITATION_COLUMNS = (
    "id, theme_id, single_use, uses, note, created_by, created_at, expires_at, revoked_at"
)
APPLICATION_COLUMNS = (
    "member_id, theme_id, invitation_id, submitted_at, decision, note, decided_by, decided_at"
)


def invitation_from(dialect: Dialect, row: Row) -> Invitation:
    revoked = dialect.iso(row[8]) if row[8] is not None else None
    return Invitation(
        row[0],
        row[1],
        bool(row[2]),
        int(row[3]),
        row[4],
        row[5],
        dialect.iso(row[6]),
        float(row[7]),
        revoked,
    )


def application_from(dialect: Dialect, row: Row) -> Application:
    decided = dialect.iso(row[7]) if row[7] is not None else None
    return Application(row[0], row[1], row[2], dialect.iso(row[3]), row[4], row[5], row[6], decided)


class Invitations(Queries):
    # -- invitations ------------------------------------------------------------------------

    async def create_invitation(self, invitation: Invitation) -> Invitation:
        created = iso_now()
        async with self._write(bump=False) as conn:
            await conn.execute(
                f"INSERT INTO invitations ({INVITATION_COLUMNS})"
                " VALUES (?, ?, ?, 0, ?, ?, ?, ?, NULL)",
                invitation.id,
                invitation.theme_id,
                int(invitation.single_use),
                invitation.note,
                invitation.created_by,
                self._dialect.time(created),
                invitation.expires_at,
            )
        return await self.get_invitation(invitation.id)

    async def get_invitation(self, invitation_id: str) -> Invitation:
        row = await self._fetchrow(
            f"SELECT {INVITATION_COLUMNS} FROM invitations WHERE id = ?", invitation_id
        )
        if row is None:
            raise NotFoundError(f"no invitation {invitation_id!r}")
        return invitation_from(self._dialect, row)

    async def list_invitations(self) -> list[Invitation]:
        rows = await self._fetch(
            f"SELECT {INVITATION_COLUMNS} FROM invitations ORDER BY created_at DESC, id"
        )
        return [invitation_from(self._dialect, r) for r in rows]

    async def revoke_invitation(self, invitation_id: str) -> Invitation:
        async with self._write(bump=False) as conn:
            await conn.execute(
                "UPDATE invitations SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                self._dialect.time(iso_now()),
                invitation_id,
            )
        return await self.get_invitation(invitation_id)

    # -- applications -----------------------------------------------------------------------

    async def submit_application(
        self, member: Member, theme_id: int, invitation_id: str | None, now: float
    ) -> Member:
        """A pending member in the theme and its application; one transaction.

        With an invitation: it must still be usable at ``now``; a single-use one is
        claimed here (``ConflictError`` when it was used or revoked meanwhile).
        """
        async with self._change() as (conn, changes):
            if invitation_id is not None:
                claimed = await conn.execute(
                    "UPDATE invitations SET uses = uses + 1 WHERE id = ? AND theme_id = ?"
                    " AND revoked_at IS NULL AND expires_at > ? AND (single_use = 0 OR uses = 0)",
                    invitation_id,
                    theme_id,
                    now,
                )
                if claimed == 0:
                    raise ConflictError("the invitation is no longer valid")
            member_id = await insert_member(
                conn,
                self._dialect,
                member,
                (theme_id,),
                at=self._moment_iso(),
                moment=self.clock(),
            )
            changes.add("member", member_id)
            await conn.execute(
                f"INSERT INTO applications ({APPLICATION_COLUMNS})"
                " VALUES (?, ?, ?, ?, NULL, '', NULL, NULL)",
                member_id,
                theme_id,
                invitation_id,
                self._dialect.time(iso_now()),
            )
        return await self.get_member_by_id(member_id)  # type: ignore[attr-defined,no-any-return]

    async def get_application(self, member_id: int) -> Application:
        row = await self._fetchrow(
            f"SELECT {APPLICATION_COLUMNS} FROM applications WHERE member_id = ?", member_id
        )
        if row is None:
            raise NotFoundError(f"no application of member {member_id}")
        return application_from(self._dialect, row)

    async def list_applications(self, *, open_only: bool = False) -> list[Application]:
        clause = " WHERE decision IS NULL" if open_only else ""
        rows = await self._fetch(
            f"SELECT {APPLICATION_COLUMNS} FROM applications{clause}"
            " ORDER BY submitted_at, member_id"
        )
        return [application_from(self._dialect, r) for r in rows]

    async def decide_application(
        self, member_id: int, decision: str, note: str, actor: str
    ) -> Application:
        """Record the decision and set the member active (approved) or removed (declined)."""
        status = "active" if decision == "approved" else "removed"
        moment = self.clock()
        now = self._moment_iso()
        async with self._change() as (conn, changes):
            changes.add("member", member_id)
            changed = await conn.execute(
                "UPDATE applications SET decision = ?, note = ?, decided_by = ?, decided_at = ?"
                " WHERE member_id = ? AND decision IS NULL",
                decision,
                note,
                actor,
                self._dialect.time(iso_now()),
                member_id,
            )
            if changed == 0:
                raise ConflictError("the application was decided already")
            # As every status change: history for the replay; a decline removes the
            # applicant, which ends its access and forgets its address at once.
            await write_member_status(conn, self._dialect, member_id, status, moment, now)
        return await self.get_application(member_id)

    # -- categories -------------------------------------------------------------------------

    async def add_category(self, category: Category) -> Category:
        # Not a change of the network: no member has the new slug yet, and a process
        # reads the labels when a member names a category it does not know.
        async with self._write(bump=False) as conn:
            await conn.execute(
                "INSERT INTO categories (slug, label_de, label_en, created_by, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                category.slug,
                category.label_de,
                category.label_en,
                category.created_by,
                self._dialect.time(iso_now()),
            )
        return category

    async def list_categories(self) -> list[Category]:
        rows = await self._fetch(
            "SELECT slug, label_de, label_en, created_by, created_at FROM categories ORDER BY slug"
        )
        return [Category(r[0], r[1], r[2], r[3], self._dialect.iso(r[4])) for r in rows]
