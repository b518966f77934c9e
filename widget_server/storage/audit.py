"""The audit log and the members' profile changes awaiting approval.

Neither is a network change: the snapshot need not reload for them.
"""

from __future__ import annotations

import json

from widget_server.core.errors import NotFoundError
from widget_server.core.models import AuditEntry, Logo, ProfileChange
from widget_server.storage.dialect import Dialect, Row, iso_now
from widget_server.storage.queries import Queries, page, where

CHANGE_COLUMNS = (
    "member_id, revision, changes, logo_digest, logo_content_type, logo_width, logo_height,"
    " submitted_at"
)


def profile_change_from(dialect: Dialect, row: Row) -> ProfileChange:
    member_id, revision, changes, digest, content_type, width, height, at = row[:8]
    logo = Logo(member_id, digest, content_type, width, height) if digest else None
    return ProfileChange(member_id, json.loads(changes), logo, revision, dialect.iso(at))


class Audit(Queries):
    # -- audit log (the admin's member, theme and portal-link changes) ---------------------

    async def add_audit_entry(self, entry: AuditEntry) -> AuditEntry:
        at = self._dialect.time(entry.at or iso_now())
        async with self._write(bump=False) as conn:
            entry_id = await conn.fetchval(
                "INSERT INTO audit_log (at, actor, action, subject, detail)"
                " VALUES (?, ?, ?, ?, ?) RETURNING id",
                at,
                entry.actor,
                entry.action,
                entry.subject,
                entry.detail,
            )
        return AuditEntry(
            int(entry_id),
            self._dialect.iso(at),
            entry.actor,
            entry.action,
            entry.subject,
            entry.detail,
        )

    async def list_audit_entries(
        self, *, subject: str | None = None, before: int | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """Newest first; ``before`` (an entry id) pages back."""
        clause, params = where(("subject = ?", subject), ("id < ?", before))
        rows = await self._fetch(
            "SELECT id, at, actor, action, subject, detail FROM audit_log"
            f"{clause} ORDER BY id DESC{page(limit)}",
            *params,
        )
        return [AuditEntry(r[0], self._dialect.iso(r[1]), *r[2:6]) for r in rows]

    # -- profile changes awaiting approval --------------------------------------------------

    async def put_profile_change(
        self, change: ProfileChange, logo_data: bytes | None
    ) -> ProfileChange:
        logo = change.logo
        if (logo is None) != (logo_data is None):
            raise ValueError("a proposed logo needs its bytes, and bytes need a logo")
        async with self._write(bump=False) as conn:
            row = await conn.fetchrow(
                "INSERT INTO profile_changes (member_id, revision, changes, logo_digest,"
                " logo_content_type, logo_width, logo_height, logo_data, submitted_at)"
                " VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (member_id) DO UPDATE"
                " SET revision = profile_changes.revision + 1, changes = excluded.changes,"
                " logo_digest = excluded.logo_digest,"
                " logo_content_type = excluded.logo_content_type,"
                " logo_width = excluded.logo_width, logo_height = excluded.logo_height,"
                " logo_data = excluded.logo_data, submitted_at = excluded.submitted_at"
                f" RETURNING {CHANGE_COLUMNS}",
                change.member_id,
                json.dumps(dict(change.changes), ensure_ascii=False, sort_keys=True),
                logo.digest if logo else None,
                logo.content_type if logo else None,
                logo.width if logo else None,
                logo.height if logo else None,
                logo_data,
                self._dialect.time(iso_now()),
            )
        assert row is not None
        return profile_change_from(self._dialect, row)

    async def get_profile_change(self, member_id: int) -> tuple[ProfileChange, bytes | None]:
        row = await self._fetchrow(
            f"SELECT {CHANGE_COLUMNS}, logo_data FROM profile_changes WHERE member_id = ?",
            member_id,
        )
        if row is None:
            raise NotFoundError(f"member {member_id} has no pending profile change")
        data = row[-1]
        return profile_change_from(self._dialect, row), None if data is None else bytes(data)

    async def list_profile_changes(self) -> list[ProfileChange]:
        rows = await self._fetch(
            f"SELECT {CHANGE_COLUMNS} FROM profile_changes ORDER BY submitted_at, member_id"
        )
        return [profile_change_from(self._dialect, r) for r in rows]

    async def delete_profile_change(self, member_id: int, revision: int) -> bool:
        async with self._write(bump=False) as conn:
            deleted = await conn.execute(
                "DELETE FROM profile_changes WHERE member_id = ? AND revision = ?",
                member_id,
                revision,
            )
        return deleted > 0
